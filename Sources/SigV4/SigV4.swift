// Placeholder: the SigV4 signer lands with the S3 work.
enum SigV4Placeholder {}
