#!/usr/bin/env bash
# Creates the secret files deploy/compose.yaml reads, with random values,
# in deploy/secrets/ (a folder only root can enter). It never overwrites a
# file that exists. Then write the Twilio auth token into
# secrets/twilio_auth_token yourself, and keep a copy of every file in the
# NGO's password manager: a backup of Redis is useless without them
# (docs/OPERATIONS.md, "Backup and restore").
set -euo pipefail
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
chmod 700 secrets

new() { # new NAME VALUE: write VALUE to secrets/NAME unless it exists
  if [ -e "secrets/$1" ]; then echo "keep    secrets/$1"; return; fi
  printf '%s\n' "$2" > "secrets/$1"
  echo "created secrets/$1"
}

new redis_password "$(openssl rand -hex 32)"
new redis_url "redis://:$(tr -d '\n' < secrets/redis_password)@redis:6379/0"
new senda_hash_key "$(openssl rand -base64 32)"
new senda_subscriber_key "$(openssl rand -base64 32)"
new senda_admin_tokens "admin:$(openssl rand -hex 24)"
# Empty until needed: the Twilio auth token (paste it), an API key's secret,
# and the old values kept during a rotation (docs/OPERATIONS.md).
for empty in twilio_auth_token twilio_api_secret twilio_auth_token_previous senda_hash_key_old senda_subscriber_keys_old; do
  [ -e "secrets/$empty" ] || : > "secrets/$empty"
done
# The containers run as other users (Senda 10001, Redis 999) and Compose
# mounts these files as they are: readable files, in a folder only root enters.
chmod 644 secrets/*
if [ ! -s secrets/twilio_auth_token ]; then
  echo "now put the Twilio auth token in $(pwd)/secrets/twilio_auth_token"
fi
