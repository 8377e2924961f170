#!/usr/bin/env python3
"""Writes docs/schemas/*.schema.json, the JSON Schemas of backupd's --json outputs (docs/json.md)."""
import json, os
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "schemas")
TIME = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$",
        "description": "RFC 3339 time in UTC, ending in Z"}
LOCAL = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$",
         "description": "RFC 3339 wall-clock time in the zone, with that instant's offset"}
def n(t): return {"anyOf": [t, {"type": "null"}]}
S = {"type": "string"}; I = {"type": "integer"}; B = {"type": "boolean"}; NUM = {"type": "number"}
BYTES = {"type": "integer", "minimum": 0, "description": "bytes"}
def obj(props, desc=None):
    o = {"type": "object", "required": list(props), "additionalProperties": False, "properties": props}
    if desc: o["description"] = desc
    return o
def arr(items): return {"type": "array", "items": items}
def write(name, title, schema):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "title": title, **schema}
    with open(os.path.join(OUT, name + ".schema.json"), "w") as f:
        json.dump(schema, f, indent=2); f.write("\n")

verification = obj({
    "id": I, "job": S, "backupId": S, "manifestKey": n(S), "destination": n(S),
    "trigger": {"enum": ["verify", "verify-schedule", "after-backup", "restore-verify-first"]},
    "startedAt": TIME, "endedAt": TIME, "passed": B, "contentChecked": B, "bytesRead": n(BYTES),
    "objects": n(I), "drillDatabase": n(S), "drillTables": n(I), "drillRows": n(I), "error": n(S)})
tables = obj({"include": arr(S), "exclude": arr(S), "excludeData": arr(S)})
write("list", "backupd list JOB --json", arr(obj({
    "id": S, "time": n(TIME), "state": {"enum": ["complete", "incomplete", "stranger", "legacy"]},
    "manifestKey": n(S), "size": BYTES,
    "objects": arr(obj({"key": S, "size": BYTES, "sha256": n(S)})),
    "compression": n(S), "sha256": n(S), "problem": n(S), "lastVerification": n(verification),
    "tables": n(tables), "suspicious": n(S), "acknowledged": B})))
write("list-overview", "backupd list --json (no JOB)", obj({
    "complete": B,
    "jobs": arr(obj({"job": S, "destination": S, "count": n({"type": "integer", "minimum": 0}), "error": n(S),
        "backups": arr(obj({"id": S, "time": TIME, "manifestKey": n(S), "size": BYTES, "compression": n(S),
            "verification": {"enum": ["never", "passed", "digests", "failed"]}, "verifiedAt": n(TIME),
            "retention": n(S), "suspicious": n(S), "acknowledged": B}))}))}))
runstatus = {"enum": ["running", "succeeded", "failed", "skipped", "interrupted", "partial"]}
write("history", "backupd history --json", arr({
    "type": "object", "additionalProperties": False,
    "required": ["id", "job", "trigger", "status", "scheduledAt", "startedAt", "endedAt", "durationSeconds", "bytesRead",
                 "bytesStored", "objectKey", "sha256", "uploadId", "destination", "bucket", "exitStatus", "error",
                 "stderrTail", "suspicious", "acknowledgedAt"],
    "properties": {"id": I, "job": S, "trigger": S, "status": runstatus, "scheduledAt": n(TIME), "startedAt": TIME,
        "endedAt": n(TIME), "durationSeconds": n(NUM), "bytesRead": n(BYTES), "bytesStored": n(BYTES), "objectKey": n(S),
        "sha256": n(S), "uploadId": n(S), "destination": n(S), "bucket": n(S), "exitStatus": n(I), "error": n(S),
        "stderrTail": n(S), "suspicious": n(S), "acknowledgedAt": n(TIME),
        "destinations": arr(obj({"destination": S, "bucket": n(S), "status": runstatus, "objectKey": n(S),
            "bytesStored": n(BYTES), "sha256": n(S), "error": n(S)}))}}))
write("verify", "backupd verify --json", arr(obj({
    "job": S, "backupId": S, "manifestKey": n(S), "state": S, "passed": B, "contentChecked": B, "contentSkipped": n(S),
    "objects": arr(obj({"key": S, "role": S, "expectedSize": BYTES, "foundSize": n(BYTES), "expectedSha256": S,
        "foundSha256": n(S), "compression": S, "format": S, "encryption": n(S), "problems": arr(S)})),
    "drill": n(obj({"database": S, "tables": I, "rows": I, "seconds": NUM, "dropped": B, "error": n(S)})),
    "startedAt": TIME, "endedAt": TIME, "problems": arr(S)})))
run = obj({"id": I, "status": runstatus, "trigger": S, "startedAt": TIME, "endedAt": n(TIME), "bytesStored": n(BYTES),
           "objectKey": n(S), "error": n(S)})
write("status", "backupd status --json", obj({
    "ok": B,
    "jobs": arr(obj({"job": S, "enabled": B,
        "state": {"enum": ["ok", "running", "disabled", "failed", "partial", "never-succeeded", "overdue", "suspicious",
                           "verification-failed", "archive-failing", "archive-lagging"]},
        "ok": B, "lastRun": n(run), "lastAttempt": n(run), "lastSuccess": n(run), "nextRunAt": n(TIME),
        "freshUntil": n(TIME), "suspiciousBackupId": n(S), "problem": n(S),
        "walArchive": n(obj({"newest": n(S), "newestArchivedAt": n(TIME), "failedPushes": I, "lastFailedAt": n(TIME),
            "lastFailedFile": n(S), "lastError": n(S), "waiting": n(I), "waitingCountedAt": n(TIME)}))}))}))
write("prune", "backupd prune --json", arr(obj({
    "job": S, "destination": S, "dryRun": B, "policy": S, "ok": B, "error": n(S),
    "backups": arr(obj({"id": S, "time": TIME, "state": {"enum": ["complete", "incomplete", "manifest-missing"]},
        "decision": {"enum": ["keep", "delete"]}, "reasons": arr(S),
        "outcome": {"enum": ["kept", "would-delete", "deleted", "delete-failed", "withheld", "skipped"]}, "error": n(S)})),
    "strangers": arr(S), "withheld": n(S), "kept": {"type": "integer", "minimum": 0},
    "deletedObjects": {"type": "integer", "minimum": 0}})))
write("check", "backupd check --json", obj({
    "passed": B,
    "reports": arr(obj({"subject": {"enum": ["job", "destination"]}, "name": S, "target": S, "passed": B,
        "steps": arr(obj({"name": S, "outcome": {"enum": ["ok", "failed", "skipped", "warning"]}, "detail": S}))}))}))
write("cron-next", "backupd cron next --json", obj({
    "expression": S, "timeZone": S, "from": TIME, "times": arr(obj({"time": TIME, "local": LOCAL}))}))
write("run-now", "backupd run-now --json", obj({
    "job": S, "runId": n(I), "status": runstatus, "durationSeconds": NUM, "backupId": n(S), "bucket": S,
    "objectKey": n(S), "manifestKey": n(S), "bytesRead": n(BYTES), "bytesStored": n(BYTES), "sha256": n(S),
    "suspicious": n(S), "error": n(S), "stderrTail": n(S),
    "destinations": arr(obj({"destination": S, "bucket": n(S), "status": runstatus, "objectKey": n(S),
        "bytesStored": n(BYTES), "sha256": n(S), "error": n(S)}))}))
write("validate", "backupd validate --json", obj({
    "path": S, "valid": B, "secretsChecked": B,
    "problems": arr(obj({"severity": {"enum": ["error", "warning"]}, "file": S, "line": n({"type": "integer", "minimum": 1}),
        "column": n({"type": "integer", "minimum": 1}), "path": S, "message": S})),
    "destinations": arr(obj({"name": S, "endpoint": S, "bucket": S, "region": S, "pathStyle": B, "provider": S})),
    "jobs": arr(obj({"name": S, "engine": S, "schedule": S, "timeZone": S, "destinations": arr(S), "prefix": S,
        "compression": S, "timeoutSeconds": {"type": "integer", "minimum": 0}, "enabled": B, "nextRuns": arr(TIME)}))}))
