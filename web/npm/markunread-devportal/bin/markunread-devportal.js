#!/usr/bin/env node
// markunread-devportal runs the local Bitrix24 portal emulator from an app's
// own folder, without Go or a checkout of markunread. The emulator is a Go
// program, built for each platform into a package of its own
// (markunread-devportal-linux-x64, ...); this package lists them all as
// optionalDependencies, and npm installs only the one whose os and cpu match
// the machine, as esbuild ships its binaries. This script finds that binary
// and runs it with the arguments it was given.
//
// What the emulator serves on its app origin when no -app-proxy is given:
// the demo app shipped here (-app-dir) and, at /dist/, the markunread package
// the app has installed (-dist), so the module's files are the app's own
// version. Flags given on the command line win over these.
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8'));
const { version } = manifest;
// The platforms built are the optionalDependencies: markunread-devportal-OS-CPU.
const SUPPORTED = Object.keys(manifest.optionalDependencies).map((name) => name.slice('markunread-devportal-'.length));
const platform = `${process.platform}-${process.arch}`;

function fail(message) {
  process.stderr.write(`markunread-devportal: ${message}\n`);
  process.exit(1);
}

// The binary of this machine's platform package.
function binary() {
  if (!SUPPORTED.includes(platform)) {
    fail(`there is no build for ${platform}, only for ${SUPPORTED.join(', ')}; ` +
      'in a checkout of markunread, `go run ./web/cmd/devportal` runs it wherever Go runs');
  }
  const pkg = `markunread-devportal-${platform}`;
  let file;
  try {
    file = createRequire(import.meta.url).resolve(`${pkg}/bin/devportal${process.platform === 'win32' ? '.exe' : ''}`);
  } catch {
    fail(`${pkg}, the emulator's binary for this machine, is not installed. npm installs it ` +
      'with markunread-devportal unless optional dependencies are left out (--omit=optional); ' +
      `install it with: npm install ${pkg}@${version}`);
  }
  if (process.platform !== 'win32') {
    // A package manager that drops the file's mode leaves it not executable.
    try {
      accessSync(file, constants.X_OK);
    } catch {
      chmodSync(file, 0o755);
    }
  }
  return file;
}

// The folder of the markunread package: the app's own (looked up from the
// current folder, as the app's bundler would), else the one installed with
// this package.
function moduleFiles() {
  for (const from of [pathToFileURL(join(process.cwd(), 'package.json')), import.meta.url]) {
    try {
      return dirname(createRequire(from).resolve('markunread/package.json'));
    } catch {
      // not installed there
    }
  }
  return null;
}

const defaults = ['-app-dir', join(here, '..', 'app')];
const dist = moduleFiles();
if (dist) defaults.push('-dist', dist);
// The emulator stops when this script does: it is only a way in.
defaults.push('-follow-parent');

const args = process.argv.slice(2);
const child = spawn(binary(), [...defaults, ...args], { stdio: 'inherit' });

// -follow-parent asks the emulator to stop with whatever started it: that is
// this script's parent (npx, a script), so this script watches it too.
const flags = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
if (flags.some((a) => /^--?follow-parent(=true)?$/.test(a))) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid === parent) return;
    process.stderr.write(`markunread-devportal: stopping: the process that started it (pid ${parent}) has exited, and -follow-parent asks to stop with it\n`);
    child.kill('SIGTERM');
  }, 1000).unref();
}
const forward = (signal) => child.kill(signal);
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of signals) process.on(signal, forward);
child.on('error', (err) => fail(`could not run the emulator: ${err.message}`));
child.on('exit', (code, signal) => {
  for (const s of signals) process.off(s, forward);
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
