# nginx (Debian's) terminating TLS in front of an S3 endpoint on a free loopback port, with a
# throw-away CA, passing the Host header through (SigV4 signs it) and streaming bodies both ways.
# Sourced (POSIX sh) by bench/compare-lib.sh and bench/s3-upload.sh.
#
# tls_proxy DIR UPSTREAM   (UPSTREAM: host:port of the plain-HTTP endpoint)
# Writes DIR/ca.pem (the CA a client must trust) and DIR/nginx.pid (kill it to stop nginx), and
# sets tls to the proxy's https:// URL.
tls_proxy() {
  tls_dir=$1
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.pem" -days 2 \
    -subj "/CN=backupd bench CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$tls_dir/server.ext"
  openssl x509 -req -in "$tls_dir/server.csr" -CA "$tls_dir/ca.pem" -CAkey "$tls_dir/ca.key" -set_serial 2 -days 2 \
    -extfile "$tls_dir/server.ext" -out "$tls_dir/server.pem" 2>/dev/null
  tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$tls_dir/nginx"
  cat > "$tls_dir/nginx.conf" <<CONF
worker_processes 2;
pid $tls_dir/nginx.pid;
error_log $tls_dir/nginx-error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_max_body_size 0;
  client_body_temp_path $tls_dir/nginx/body;
  proxy_temp_path $tls_dir/nginx/proxy;
  fastcgi_temp_path $tls_dir/nginx/fastcgi;
  uwsgi_temp_path $tls_dir/nginx/uwsgi;
  scgi_temp_path $tls_dir/nginx/scgi;
  upstream rgw { server $2; keepalive 16; }
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $tls_dir/server.pem;
    ssl_certificate_key $tls_dir/server.key;
    location / {
      proxy_pass http://rgw;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_request_buffering off;
      proxy_buffering off;
    }
  }
}
CONF
  /usr/sbin/nginx -c "$tls_dir/nginx.conf"
  tls="https://127.0.0.1:$tls_port"
}
