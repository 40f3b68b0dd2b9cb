#!/usr/bin/env bash
# Canonical runtime rollout (OA-RUST-067): deploy, then the migrate job, then the drift check.
set -euo pipefail
gcloud run deploy openagents-runtime --image "$IMAGE" --region "$REGION"
"$(dirname "$0")/run-migrate-job.sh"
"$(dirname "$0")/check-migration-drift.sh"
