#!/bin/sh
# Builds OP_TARGET from a git repository on the build server's engine (the builder has git and the docker CLI).
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${OP_GIT_REF:-}" ]; then
  git clone --quiet --depth 1 --branch "$OP_GIT_REF" -- "$OP_GIT_URL" "$work/src"
else
  git clone --quiet --depth 1 -- "$OP_GIT_URL" "$work/src"
fi
docker build --quiet --tag "$OP_TARGET" "$work/src"
