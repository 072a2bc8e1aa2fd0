# Removes a stack on a cluster manager (`docker stack rm`) and waits, up to $OP_WAIT s, until its services and
# networks are gone. Run once in the builder container (docker CLI, the engine's socket); the exit code is the result.
set -u
docker stack rm -- "$OP_STACK" || exit 1
end=$(( $(date +%s) + OP_WAIT ))
while :; do
  left=$(docker service ls -q --filter "label=com.docker.stack.namespace=$OP_STACK"; docker network ls -q --filter "label=com.docker.stack.namespace=$OP_STACK")
  [ -z "$left" ] && { echo "stack $OP_STACK removed"; exit 0; }
  [ "$(date +%s)" -ge "$end" ] && { echo "!! stack $OP_STACK: still there after $OP_WAIT s: $(echo $left)"; exit 1; }
  sleep 1
done
