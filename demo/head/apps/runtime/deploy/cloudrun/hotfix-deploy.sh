#!/usr/bin/env bash
# Ship the WebSocket fallback now, without waiting for the release train.
set -euo pipefail
gcloud run deploy openagents-runtime --image "$IMAGE" --region "$REGION"
