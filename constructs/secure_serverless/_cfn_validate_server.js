// The kit's side process for CDK's CloudFormation validation (secure_serverless/_cfn_validate.py).
//
// It loads CDK's own CloudFormationValidatePlugin from the unpacked aws-cdk-lib that jsii's kernel
// runs (the same version, found in jsii's package cache the way the kernel finds it), builds the
// engine at once, and then validates the templates it is sent: one line of JSON per request on
// stdin, one line per answer on stdout, each prefixed with PREFIX so nothing else printed to
// stdout can be read as an answer. It exits when stdin closes.
//
// argv[2]: JSON {tarball, name, version, cacheRoot}.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const PREFIX = "@@secure-serverless-cfn-validate ";
const MARKER = ".jsii-runtime-package-cache"; // jsii writes it once an entry is completely unpacked
const protocolWrite = process.stdout.write.bind(process.stdout);
// whatever else the engine or CDK prints goes to stderr, never into the protocol
console.log = console.info = (...args) => console.error(...args);
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);

function send(message) {
  protocolWrite(PREFIX + JSON.stringify(message) + "\n");
}

// jsii's digest of a package: sha256 of the tarball, then "\0" + each of name and version.
function packageDigest(tarball, name, version) {
  const hash = crypto.createHash("sha256");
  const fd = fs.openSync(tarball, "r");
  try {
    const buffer = Buffer.alloc(1 << 20);
    let read;
    while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  for (const part of [name, version]) {
    hash.update("\0");
    hash.update(part);
  }
  return hash.digest("hex");
}

// The package's folder in jsii's cache. A version of aws-cdk-lib is immutable on its registries, so when
// exactly one complete entry of this version exists it is the one the kernel runs: the tarball's
// digest (0.2 CPU s for 37 MB) is computed only when several entries exist.
function packageFolder(config) {
  const versionDir = path.join(config.cacheRoot, config.name, config.version);
  let entries = [];
  try {
    entries = fs.readdirSync(versionDir).filter((entry) => fs.existsSync(path.join(versionDir, entry, MARKER)));
  } catch {
    entries = [];
  }
  if (entries.length === 1) return path.join(versionDir, entries[0]);
  return path.join(versionDir, packageDigest(config.tarball, config.name, config.version));
}

function start(config) {
  const libDir = packageFolder(config);
  if (!fs.existsSync(path.join(libDir, MARKER))) {
    throw new Error(`no unpacked ${config.name}@${config.version} in jsii's package cache (looked for ${libDir})`);
  }
  const pluginModule = path.join(libDir, "core", "lib", "validation", "cloudformation-validate-plugin.js");
  const { CloudFormationValidatePlugin } = require(pluginModule);
  // exactly what CDK's _singletonInstance() builds: no props
  const plugin = new CloudFormationValidatePlugin();
  return { plugin, libDir };
}

function main() {
  let state;
  try {
    state = start(JSON.parse(process.argv[2]));
  } catch (error) {
    send({ ready: false, error: String(error && error.stack ? error.stack : error) });
    process.exit(3);
  }
  send({ ready: true, version: state.plugin.version, libDir: state.libDir, pid: process.pid });
  let pending = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim()) answer(state.plugin, line);
    }
  });
  process.stdin.on("end", () => process.exit(0));
}

function answer(plugin, line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (error) {
    send({ id: null, error: `unreadable request: ${error}` });
    return;
  }
  try {
    if (request.crash) process.exit(request.crash); // the tests' way to kill it mid-validation
    // one validate call per template, so that each template's report can be cached on its own;
    // the caller merges them exactly as one call over every template would have.
    const reports = request.stackTemplates.map((template) =>
      plugin.validate({ templatePaths: [template.templatePath], stackTemplates: [template] }),
    );
    send({ id: request.id, reports });
  } catch (error) {
    send({ id: request.id, error: String(error && error.stack ? error.stack : error) });
  }
}

main();
