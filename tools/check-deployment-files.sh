#!/usr/bin/env bash
# Offline checks of the deployment files that cannot be built here (no Docker engine):
#   - conf/flink/*.yaml, docker/docker-compose.yml, docker/k8s/flinkdeployment.yaml parse as YAML and
#     agree with each other and with docker/Dockerfile (stages, targets, paths, S3 keys, ports,
#     OMP_WAIT_POLICY=PASSIVE in the images and the containerized TaskManager env)
#   - every file docker/Dockerfile COPYs from its build stage exists after the same build steps
#     (tools/docker/collect-jars.sh; the job jar from `mvn install`)
#   - every Flink key in conf/flink/config.yaml, in the compose file's FLINK_PROPERTIES and in the
#     FlinkDeployment's flinkConfiguration is an option of Flink 2.2.1 and its value parses
#     (tools/config-check/FlinkConfigCheck.java over the cluster jars of tools/servers)
#   - the memory settings of JobManager, CPU and GPU TaskManagers, and of the catalog-sized TaskManagers
#     (conf/flink/taskmanager-*.yaml over config.yaml), pass Flink's own calculator (BashJavaUtils, as
#     Flink's start scripts run it)
# Needs Java 17, Maven (first run resolves jars) and python3 with PyYAML (Debian's python3-yaml is
# installed when missing). ~20 s when the jars are resolved. Prints PASS/FAIL per check.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/tools/docker/target/check"
JOB_JAR="$ROOT/flink-job/target/twotower-job.jar"
passed=0

pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() {
  echo "FAIL: $*" >&2
  echo "check-deployment-files: $passed passed, 1 failed"
  exit 1
}

# ---------------------------------------------------------------- python3 + PyYAML
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import yaml' 2>/dev/null; then PY="$p"; break; fi
done
if [[ -z "$PY" ]]; then
  echo "Installing python3-yaml (Debian) for the YAML checks..."
  if [[ $(id -u) -eq 0 ]]; then
    (apt-get update -qq && apt-get install -y -qq python3-yaml) >/dev/null
  else
    (sudo apt-get update -qq && sudo apt-get install -y -qq python3-yaml) >/dev/null
  fi
  PY=/usr/bin/python3
  "$PY" -c 'import yaml' || fail "python3-yaml could not be installed"
fi

# ---------------------------------------------------------------- build what the Dockerfile copies
rm -rf "$OUT"
mkdir -p "$OUT"
tools/docker/collect-jars.sh >"$OUT/collect-jars.log" 2>&1 || fail "tools/docker/collect-jars.sh: $(tail -n 20 "$OUT/collect-jars.log")"
if [[ ! -f "$JOB_JAR" ]]; then
  echo "No $JOB_JAR yet: building it (mvn -B -q install -DskipTests)..."
  mvn -B -q -Dstyle.color=never install -DskipTests >"$OUT/mvn-install.log" 2>&1 || fail "mvn install: $(tail -n 20 "$OUT/mvn-install.log")"
fi
pass "build steps of the Dockerfile's build stage ran: $(tail -n 1 "$OUT/collect-jars.log")"

# ---------------------------------------------------------------- YAML and cross-file checks
"$PY" - "$ROOT" "$OUT" <<'EOF' || fail "deployment files (see above)"
import json, os, re, shlex, sys, zipfile
import yaml

root, out = sys.argv[1], sys.argv[2]
problems = []
def check(cond, msg):
    if not cond:
        problems.append(msg)
    return cond
def load(rel):
    with open(os.path.join(root, rel)) as f:
        text = f.read()
    if rel == "conf/flink-local/config.yaml":
        text = re.sub(r"@[A-Z_0-9]+@", "0", text)  # bin/local-cluster's placeholders
    return yaml.safe_load(text)

# every YAML file of the deployment parses
docs = {}
sized = sorted(f for f in os.listdir(os.path.join(root, "conf/flink")) if re.fullmatch(r"taskmanager-[\w.-]+\.yaml", f))
for rel in ["conf/flink/config.yaml", "conf/flink-local/config.yaml", "conf/twotower.yaml",
            "docker/docker-compose.yml", "docker/k8s/flinkdeployment.yaml"] + [f"conf/flink/{f}" for f in sized]:
    try:
        docs[rel] = load(rel)
        check(isinstance(docs[rel], dict), f"{rel}: not a mapping")
    except Exception as e:
        problems.append(f"{rel}: does not parse: {e}")
if problems:
    print("\n".join("  " + p for p in problems)); sys.exit(1)
flink = docs["conf/flink/config.yaml"]
compose = docs["docker/docker-compose.yml"]
k8s = docs["docker/k8s/flinkdeployment.yaml"]

# ---- Dockerfile: stages, base image, COPY sources
dockerfile = os.path.join(root, "docker/Dockerfile")
lines, cur = [], ""
for raw in open(dockerfile):
    line = raw.rstrip("\n")
    if line.lstrip().startswith("#") and not cur:
        continue
    if line.endswith("\\"):
        cur += line[:-1] + " "
        continue
    cur += line
    if cur.strip():
        lines.append(cur.strip())
    cur = ""
args, stages, copies, envs = {}, {}, [], {}
stage = None
for l in lines:
    word = l.split()[0].upper()
    if word == "ARG" and stage is None:
        k, _, v = l.split(None, 1)[1].partition("=")
        args[k] = v
    elif word == "FROM":
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", l, re.I)
        image = re.sub(r"\$\{(\w+)\}", lambda g: args.get(g.group(1), g.group(0)), m.group(1))
        stage = m.group(2) or f"stage{len(stages)}"
        stages[stage] = image
    elif word == "COPY":
        toks = shlex.split(l)[1:]
        opts = [t for t in toks if t.startswith("--")]
        paths = [t for t in toks if not t.startswith("--")]
        frm = next((o.split("=", 1)[1] for o in opts if o.startswith("--from=")), None)
        copies.append((stage, frm, paths[:-1], paths[-1]))
    elif word == "ENV":
        toks = shlex.split(l)[1:]
        pairs = [t.split("=", 1) for t in toks] if "=" in toks[0] else [[toks[0], " ".join(toks[1:])]]
        envs.setdefault(stage, {}).update({k: v for k, v in pairs})
check(re.fullmatch(r"flink:2\.2(\.\d+)?(-scala_2\.12)?-java17", args.get("FLINK_IMAGE", "")),
      f"Dockerfile: FLINK_IMAGE {args.get('FLINK_IMAGE')} is not an official Flink 2.2 Java 17 image")
for name in ("build", "flink", "flink-gpu"):
    check(name in stages, f"Dockerfile: no stage '{name}'")
check(stages.get("flink") == args.get("FLINK_IMAGE"), "Dockerfile: stage 'flink' is not FROM ${FLINK_IMAGE}")
check(stages.get("flink-gpu") == "flink", "Dockerfile: stage 'flink-gpu' does not build on 'flink'")
# libtorch's OpenMP threads must sleep when idle (spinning starves training on busy cores)
check(envs.get("flink", {}).get("OMP_WAIT_POLICY") == "PASSIVE"
      and envs.get("flink-gpu", {}).get("OMP_WAIT_POLICY", "PASSIVE") == "PASSIVE",
      "Dockerfile: the flink images must set ENV OMP_WAIT_POLICY=PASSIVE")
check(envs.get("flink", {}).get("THP_MEM_ALLOC_ENABLE") == "1",
      "Dockerfile: the flink image must set ENV THP_MEM_ALLOC_ENABLE=1 (huge pages for large tables)")
dests = {}
ncopied = 0
for st, frm, srcs, dest in copies:
    for src in srcs:
        if frm == "build":
            check(src.startswith("/src/"), f"Dockerfile: COPY --from=build {src}: outside /src")
            local = os.path.join(root, src[len("/src/"):])
        elif frm is None:
            local = os.path.join(root, src)
        else:
            check(frm in stages, f"Dockerfile: COPY --from={frm}: no such stage")
            continue  # produced by a download stage
        if check(os.path.exists(local), f"Dockerfile: COPY {src} -> {dest}: {os.path.relpath(local, root)} does not exist after the build"):
            if os.path.isdir(local):
                files = [f for f in os.listdir(local) if not f.startswith(".")]
                check(files, f"Dockerfile: COPY {src}: {os.path.relpath(local, root)} is empty")
                ncopied += len(files)
            else:
                ncopied += 1
        dests[os.path.basename(src.rstrip("/"))] = dest
lib = [c for c in copies if c[3] == "/opt/flink/lib/"]
check(any("lib-djl/" in s for c in lib for s in c[2]), "Dockerfile: DJL jars are not copied to /opt/flink/lib/")
check(any(c[3].startswith("/opt/flink/plugins/external-resource-gpu") and c[0] == "flink-gpu" for c in copies),
      "Dockerfile: the GPU plugin is not in the flink-gpu image")
job_dest = dests.get("twotower-job.jar")
check(job_dest == "/opt/flink/usrlib/twotower-job.jar", f"Dockerfile: job jar goes to {job_dest}, expected /opt/flink/usrlib/twotower-job.jar")
gpu_dir = os.path.join(root, "tools/docker/target/plugins/external-resource-gpu")
for s in ("nvidia-gpu-discovery.sh", "gpu-discovery-common.sh"):
    p = os.path.join(gpu_dir, s)
    check(os.path.isfile(p) and os.access(p, os.X_OK), f"GPU plugin folder lacks executable {s}")
check(any(f.startswith("flink-external-resource-gpu-") for f in os.listdir(gpu_dir)), "no flink-external-resource-gpu jar")
djl = os.listdir(os.path.join(root, "tools/docker/target/lib-djl"))
for prefix in ("api-", "pytorch-engine-", "pytorch-jni-", "gson-", "jna-"):
    check(any(f.startswith(prefix) for f in djl), f"tools/docker/target/lib-djl has no {prefix}*.jar")
check(not any(f.startswith("slf4j") for f in djl), "lib-djl must not bring its own slf4j (Flink's lib/ has 1.7.x)")
with zipfile.ZipFile(os.path.join(root, "flink-job/target/twotower-job.jar")) as z:
    names = set(z.namelist())
main_class = k8s["spec"]["job"].get("entryClass", "")
check(main_class.replace(".", "/") + ".class" in names, f"flinkdeployment: entryClass {main_class} not in the job jar")

# ---- conf/flink/config.yaml: what the cluster needs
check("ai.djl." in str(flink.get("classloader.parent-first-patterns.additional")),
      "config.yaml: classloader.parent-first-patterns.additional must contain ai.djl.")
check(flink.get("external-resources") == "gpu", "config.yaml: external-resources: gpu")
check(flink.get("external-resource.gpu.driver-factory.class") == "org.apache.flink.externalresource.gpu.GPUDriverFactory",
      "config.yaml: GPU driver factory class")
script = flink.get("external-resource.gpu.param.discovery-script.path", "")
check(script == "/opt/flink/plugins/external-resource-gpu/nvidia-gpu-discovery.sh",
      f"config.yaml: discovery script {script} is not where the flink-gpu image puts it")
check(int(flink.get("taskmanager.numberOfTaskSlots", 0)) >= 2, "config.yaml: the trainer group needs its own slot (>= 2 slots)")
check("task.off-heap" in " ".join(flink), "config.yaml: no taskmanager.memory.task.off-heap.size for libtorch")
check(flink.get("containerized.taskmanager.env.OMP_WAIT_POLICY") == "PASSIVE",
      "config.yaml: containerized.taskmanager.env.OMP_WAIT_POLICY: PASSIVE")
check(str(flink.get("containerized.taskmanager.env.THP_MEM_ALLOC_ENABLE")) == "1",
      "config.yaml: containerized.taskmanager.env.THP_MEM_ALLOC_ENABLE: \"1\"")

# ---- docker-compose.yml
services = compose.get("services", {})
for name in ("jobmanager", "taskmanager", "taskmanager-gpu", "kafka", "s3", "train"):
    check(name in services, f"compose: no service '{name}'")
def build_of(svc):
    b = svc.get("build")
    return b if isinstance(b, dict) else None
for name, svc in services.items():
    b = build_of(svc)
    if b:
        ctx = os.path.normpath(os.path.join(root, "docker", b.get("context", ".")))
        check(ctx == root, f"compose: {name}: build context {ctx} is not the repository root")
        check(os.path.isfile(os.path.join(ctx, b.get("dockerfile", "Dockerfile"))), f"compose: {name}: no Dockerfile")
        check(b.get("target") in stages, f"compose: {name}: target {b.get('target')} is not a Dockerfile stage")
check(build_of(services["taskmanager-gpu"]) and build_of(services["taskmanager-gpu"])["target"] == "flink-gpu",
      "compose: taskmanager-gpu must use the flink-gpu image")
devices = (services["taskmanager-gpu"].get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", []))
check(any("gpu" in d.get("capabilities", []) for d in devices), "compose: taskmanager-gpu reserves no GPU")
check(services["jobmanager"].get("command") == "jobmanager", "compose: jobmanager command")
for name in ("taskmanager", "taskmanager-gpu"):
    check(services[name].get("command") == "taskmanager", f"compose: {name} command")
kafka = services["kafka"]
check(str(kafka.get("image", "")).startswith("apache/kafka:"), "compose: kafka must use the apache/kafka image")
check("controller" in str(kafka.get("environment", {}).get("KAFKA_PROCESS_ROLES", "")), "compose: kafka is not in KRaft mode")
s3env = services["s3"].get("environment", {})
check(s3env.get("S3PROXY_IDENTITY") == flink.get("s3.access-key") and s3env.get("S3PROXY_CREDENTIAL") == flink.get("s3.secret-key"),
      "compose: S3 keys differ from conf/flink/config.yaml")
m = re.match(r"https?://([^:/]+):(\d+)", str(flink.get("s3.endpoint", "")))
check(m and m.group(1) in services and s3env.get("S3PROXY_ENDPOINT", "").endswith(":" + m.group(2)),
      f"config.yaml: s3.endpoint {flink.get('s3.endpoint')} does not match the compose S3 service")
check(flink.get("jobmanager.rpc.address") == "jobmanager" and flink.get("rest.address") == "jobmanager",
      "config.yaml: jobmanager.rpc.address / rest.address must be the compose service 'jobmanager'")
train_cmd = " ".join(services["train"].get("command", []))
check(job_dest and job_dest in train_cmd, "compose: train does not run the jar the image contains")
for step in (" prepare ", " train ", "s3://"):
    check(step in train_cmd, f"compose: train command lacks '{step.strip()}'")
ports = [str(p) for name in services for p in services[name].get("ports", [])]
check(all(p.startswith("127.0.0.1:") for p in ports), f"compose: published ports must bind 127.0.0.1: {ports}")

# ---- metrics: the reporter, its plugin in the image, Prometheus scraping its port, the dashboard's metric names
check(flink.get("metrics.reporter.prom.factory.class") == "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
      "config.yaml: no Prometheus reporter (metrics.reporter.prom.factory.class)")
check(any(c[3].startswith("/opt/flink/plugins/metrics-prometheus") and c[0] == "flink" for c in copies),
      "Dockerfile: the Prometheus reporter plugin is not in the flink image")
check(any(f.startswith("flink-metrics-prometheus-") for f in os.listdir(os.path.join(root, "tools/docker/target/plugins/metrics-prometheus"))),
      "tools/docker/target/plugins/metrics-prometheus has no flink-metrics-prometheus jar")
for name in ("prometheus", "grafana"):
    check(name in services, f"compose: no service '{name}'")
prom_port = str(flink.get("metrics.reporter.prom.port"))
prom_conf = yaml.safe_load(open(os.path.join(root, "docker/prometheus/prometheus.yml")))
scraped = set()
for sc in prom_conf.get("scrape_configs", []):
    for st in sc.get("static_configs", []):
        scraped.update(t for t in st.get("targets", []))
    for dns in sc.get("dns_sd_configs", []):
        scraped.update(f"{n}:{dns.get('port')}" for n in dns.get("names", []))
for name in ("jobmanager", "taskmanager", "taskmanager-gpu"):
    check(f"{name}:{prom_port}" in scraped, f"docker/prometheus/prometheus.yml does not scrape {name}:{prom_port}")
vols = " ".join(str(v) for v in services.get("prometheus", {}).get("volumes", []))
check("./prometheus/prometheus.yml:" in vols, "compose: prometheus does not mount docker/prometheus/prometheus.yml")
# every metric the dashboard plots is one the operators register (gauge/counter/meter/histogram names in the source)
registered = set()
for dirpath, _, files in os.walk(os.path.join(root, "flink-job/src/main/java")):
    for f in files:
        if f.endswith(".java"):
            registered.update(re.findall(r'\.(?:gauge|counter|meter|histogram)\("(\w+)"', open(os.path.join(dirpath, f)).read()))
dashboard = json.load(open(os.path.join(root, "docker/grafana/dashboards/twotower-trainer.json")))
exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
exprs += [v["query"] for v in dashboard.get("templating", {}).get("list", [])]
for e in exprs:
    for metric in re.findall(r"flink_taskmanager_job_task_operator_(\w+)", e):
        check(metric in registered, f"grafana dashboard: {metric} is not a metric the job registers ({sorted(registered)})")

# per-process Flink configs to check with Flink's own classes: base, each TaskManager, Kubernetes
def write_conf(name, mapping):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.yaml"), "w") as f:
        yaml.safe_dump(mapping, f, default_flow_style=False, sort_keys=True)
write_conf("conf-base", flink)
for name in ("jobmanager", "taskmanager", "taskmanager-gpu"):
    props = services[name].get("environment", {}).get("FLINK_PROPERTIES", "")
    overrides = yaml.safe_load(props) if props else {}
    check(isinstance(overrides, dict), f"compose: {name}: FLINK_PROPERTIES is not 'key: value' lines")
    merged = dict(flink); merged.update(overrides or {})
    write_conf(f"conf-{name}", merged)
    if name == "taskmanager":
        check((overrides or {}).get("external-resources") == "none", "compose: the CPU TaskManager must set external-resources: none")

# catalog-sized TaskManagers (README "Sizing a TaskManager for a catalog"): FLINK_PROPERTIES-style overrides
check(sized, "conf/flink: no taskmanager-*.yaml sizing examples")
for f in sized:
    overrides = docs[f"conf/flink/{f}"]
    check(all(isinstance(v, (str, int, float)) for v in overrides.values()), f"conf/flink/{f}: not flat 'key: value' lines")
    for key in ("taskmanager.memory.task.off-heap.size", "taskmanager.memory.task.heap.size",
                "taskmanager.memory.managed.size", "taskmanager.memory.process.size"):
        check(key in overrides, f"conf/flink/{f}: sets no {key}")
    check(f in open(os.path.join(root, "conf/flink/config.yaml")).read(), f"conf/flink/config.yaml does not mention {f}")
    check(f in open(os.path.join(root, "README.md")).read(), f"README.md does not mention {f}")
    merged = dict(flink); merged.update(overrides)
    write_conf("conf-" + f[:-len(".yaml")], merged)

spec = k8s.get("spec", {})
check(k8s.get("apiVersion") == "flink.apache.org/v1beta1" and k8s.get("kind") == "FlinkDeployment", "flinkdeployment: apiVersion/kind")
fc = {k: v for k, v in (spec.get("flinkConfiguration") or {}).items()}
check(all(isinstance(v, str) for v in fc.values()), "flinkdeployment: flinkConfiguration values must be strings (quote numbers and booleans)")
check("ai.djl." in fc.get("classloader.parent-first-patterns.additional", ""), "flinkdeployment: parent-first pattern ai.djl.")
check(fc.get("external-resource.gpu.kubernetes.config-key") == "nvidia.com/gpu", "flinkdeployment: GPU kubernetes config-key")
check(fc.get("containerized.taskmanager.env.OMP_WAIT_POLICY") == "PASSIVE",
      "flinkdeployment: containerized.taskmanager.env.OMP_WAIT_POLICY: PASSIVE")
check(fc.get("containerized.taskmanager.env.THP_MEM_ALLOC_ENABLE") == "1",
      "flinkdeployment: containerized.taskmanager.env.THP_MEM_ALLOC_ENABLE: \"1\"")
check(spec.get("job", {}).get("jarURI") == "local://" + (job_dest or ""), "flinkdeployment: jarURI is not the image's job jar")
k8s_conf = dict(fc)
k8s_conf["jobmanager.memory.process.size"] = str(spec["jobManager"]["resource"]["memory"])
k8s_conf["taskmanager.memory.process.size"] = str(spec["taskManager"]["resource"]["memory"])
write_conf("conf-k8s", k8s_conf)

# ---- log4j-console.properties: every referenced appender is defined
props = {}
for raw in open(os.path.join(root, "conf/flink/log4j-console.properties")):
    raw = raw.strip()
    if raw and not raw.startswith("#") and "=" in raw:
        k, v = raw.split("=", 1)
        props[k.strip()] = v.strip()
names = {v for k, v in props.items() if re.fullmatch(r"appender\.\w+\.name", k)}
refs = {v for k, v in props.items() if re.fullmatch(r"rootLogger\.appenderRef\.\w+\.ref", k)}
check(refs and refs <= names, f"log4j-console.properties: appender refs {refs} not all defined ({names})")

if problems:
    print("\n".join("  " + p for p in problems)); sys.exit(1)
print(f"  Dockerfile stages {list(stages)}; {ncopied} files copied from the build exist; compose services {len(services)}; "
      f"FlinkDeployment {k8s['metadata']['name']}")
EOF
pass "YAML parses; Dockerfile, compose, FlinkDeployment and conf/flink agree; every COPY source exists"

# ---------------------------------------------------------------- Flink keys and values
# shellcheck source=../bin/servers-common.sh
source "$ROOT/bin/servers-common.sh"
FLIB="$(tt_lib flink)"
printf 'rootLogger.level = OFF\n' >"$OUT/log4j-off.properties"
mkdir -p "$OUT/classes"
javac -nowarn -d "$OUT/classes" -cp "$FLIB/*" tools/config-check/FlinkConfigCheck.java
sized=()
for f in conf/flink/taskmanager-*.yaml; do sized+=("conf-$(basename "$f" .yaml)"); done
confs=("$OUT/conf-base" "$OUT/conf-jobmanager" "$OUT/conf-taskmanager" "$OUT/conf-taskmanager-gpu" "$OUT/conf-k8s")
for c in "${sized[@]}"; do confs+=("$OUT/$c"); done
# dynamic keys: S3 (passed to Hadoop's S3A), external-resource.<name>.*, the Kubernetes integration
# (flink-kubernetes is not in the session cluster's jars), high-availability.storageDir of the HA services,
# containerized.{taskmanager,master}.env.<NAME> (prefixes in ResourceManagerOptions, not ConfigOptions),
# metrics.reporter.<name>.* (options of the reporter plugin, keyed by the reporter's name; checked above)
if ! java -Dlog4j.configurationFile="file:$OUT/log4j-off.properties" -cp "$FLIB/*:$OUT/classes" FlinkConfigCheck \
  --jars "$FLIB:$ROOT/tools/docker/target/plugins/external-resource-gpu" \
  --allow-prefix s3. --allow-prefix external-resource. --allow-prefix kubernetes. \
  --allow-prefix containerized.taskmanager.env. --allow-prefix containerized.master.env. \
  --allow-prefix metrics.reporter.prom. \
  "${confs[@]}" >"$OUT/keys.log" 2>&1; then
  cat "$OUT/keys.log" >&2
  fail "Flink configuration keys or values"
fi
sed 's/^/  /' "$OUT/keys.log"
pass "every Flink key is an option of Flink 2.2.1 and its value parses"

# ---------------------------------------------------------------- memory (Flink's own calculator)
memory() { # memory ROLE CONF_DIR
  local out
  out="$(java -Xmx128m -Dlog4j.configurationFile="file:$OUT/log4j-off.properties" -cp "$FLIB/*" \
    org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$2" 2>&1)" \
    || fail "$1 for $(basename "$2"): $(tail -n 5 <<<"$out")"
  grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed -n 1p | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT:/    /'
}
for c in conf-jobmanager conf-k8s; do
  echo "  JobManager ($c):"
  memory GET_JM_RESOURCE_PARAMS "$OUT/$c"
done
for c in conf-base conf-taskmanager conf-taskmanager-gpu conf-k8s "${sized[@]}"; do
  echo "  TaskManager ($c):"
  memory GET_TM_RESOURCE_PARAMS "$OUT/$c"
done
pass "memory settings of JobManager, CPU, GPU, Kubernetes and catalog-sized TaskManagers (${sized[*]#conf-}) pass Flink's calculator"
echo "check-deployment-files: $passed passed, 0 failed"
