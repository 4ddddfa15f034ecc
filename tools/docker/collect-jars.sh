#!/usr/bin/env bash
# Fills tools/docker/target/ with what docker/Dockerfile adds to the official Flink image (see
# tools/docker/pom.xml): DJL for lib/, the S3 and GPU plugins for plugins/, and the GPU plugin's
# discovery scripts (shipped inside its jar) next to it. Run by the Dockerfile's build stage and by
# tools/check-deployment-files.sh. Needs Maven and a JDK (`jar`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
gpu_version="$(sed -n 's:.*<flink.gpu.version>\(.*\)</flink.gpu.version>.*:\1:p' pom.xml)"
[[ -n "$gpu_version" ]] || { echo "collect-jars: no flink.gpu.version in pom.xml" >&2; exit 1; }
# The GPU plugin's parent POM (flink-external-resources) is not served everywhere, and every resolving
# goal of maven-dependency-plugin 3.x reads it; 2.8's `get` without transitive dependencies does not.
# It puts the jar into the local repository, from where the `package` phase copies it.
mkdir -p target
if ! mvn -B -Dstyle.color=never -f pom.xml \
  org.apache.maven.plugins:maven-dependency-plugin:2.8:get \
  -Dartifact="org.apache.flink:flink-external-resource-gpu:$gpu_version" -Dtransitive=false \
  package >target/collect-jars-mvn.log 2>&1; then
  tail -n 30 target/collect-jars-mvn.log >&2
  echo "collect-jars: mvn failed (full output: $PWD/target/collect-jars-mvn.log)" >&2
  exit 1
fi
gpu_dir=target/plugins/external-resource-gpu
(cd "$gpu_dir" && jar xf "flink-external-resource-gpu-$gpu_version.jar" nvidia-gpu-discovery.sh gpu-discovery-common.sh)
chmod 755 "$gpu_dir"/*.sh
echo "collect-jars: $(find target/lib-djl target/lib-djl-cpu target/plugins -type f | wc -l) files in $PWD/target"
