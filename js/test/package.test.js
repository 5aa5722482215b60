// The npm package as a user gets it: `make package` packs dist/ into
// bin/markunread-VERSION.tgz, and this test installs that tarball into a
// scratch project and uses it. It runs when MARKUNREAD_PACKAGE names the
// tarball (make test-js sets it).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const tarball = process.env.MARKUNREAD_PACKAGE;
// What ships is listed once, in js/package.json "files".
const shipped = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')).files;
const { MARKUNREAD_APP_URL: appURL, MARKUNREAD_PORTAL_URL: portalURL, MARKUNREAD_TOKEN: token } = process.env;

describe('the packed npm package', { skip: !tarball && 'needs MARKUNREAD_PACKAGE: run through make test-js' }, () => {
  let project;

  before(() => {
    project = mkdtempSync(join(tmpdir(), 'markunread-pkg-'));
    writeFileSync(join(project, 'package.json'), '{"name":"scratch","private":true,"type":"module"}');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: project, stdio: 'pipe' });
  });

  after(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  test('installs the module, the shim, wasm_exec.js and the types', () => {
    const dir = join(project, 'node_modules', 'markunread');
    for (const file of ['markunread.js', 'wasm_exec.js', 'markunread.d.ts', 'markunread.wasm', 'markunread.wasm.br', 'markunread.wasm.gz', 'README.md', 'LICENSE']) {
      assert.ok(shipped.includes(file), `package.json files lists ${file}`);
    }
    for (const file of shipped) assert.ok(existsSync(join(dir, file)), `${file} is in the package`);
    const wasm = readFileSync(join(dir, 'markunread.wasm'));
    assert.deepEqual([...wasm.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'markunread.wasm is WebAssembly');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    assert.equal(pkg.types, './markunread.d.ts');
    assert.equal(pkg.exports['.'].default, './markunread.js');
  });

  test('is publishable: exports with types, files, sideEffects, and a license that matches its LICENSE', () => {
    const dir = join(project, 'node_modules', 'markunread');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const root = pkg.exports['.'];
    assert.equal(Object.keys(root)[0], 'types', 'types comes first in the "." export, as TypeScript requires');
    assert.equal(root.types, './markunread.d.ts');
    assert.equal(pkg.exports['./markunread.wasm'], './markunread.wasm', 'bundlers and servers can reach the module by name');
    assert.deepEqual(pkg.files, shipped, 'the installed package.json lists what js/package.json does');
    assert.equal(pkg.sideEffects, false, 'no file changes the page when imported: wasm_exec.js runs against a private global');
    assert.equal(pkg.license, 'MIT');
    const license = readFileSync(join(dir, 'LICENSE'), 'utf8');
    assert.match(license, /^MIT License\n/, 'the LICENSE file is the MIT license package.json names');
    assert.match(license, /Permission is hereby granted, free of charge/);
    // Nothing beyond what a user needs: no tests, no sources of the build.
    const listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(listing, [...shipped, 'package.json'].map((f) => `package/${f}`).sort());
  });

  test('its README says how to use it with and without a bundler', () => {
    const readme = readFileSync(join(project, 'node_modules', 'markunread', 'README.md'), 'utf8');
    assert.match(readme, /^### Without a bundler$/m);
    assert.match(readme, /<script type="module">/);
    assert.match(readme, /^### With a bundler \(Vite\)$/m);
  });

  test('imports by its package name', async () => {
    writeFileSync(join(project, 'probe.js'), "export * from 'markunread';");
    const mod = await import(pathToFileURL(join(project, 'probe.js')));
    assert.equal(typeof mod.load, 'function');
    assert.equal(typeof mod.MarkUnreadError, 'function');
    assert.ok(new mod.MarkUnreadError('QUEUE_FULL', 'full') instanceof Error);
  });

  test('the installed shim loads the module and marks', { skip: !portalURL && 'needs the emulator' }, async () => {
    writeFileSync(join(project, 'probe.js'), "export * from 'markunread';");
    const { load } = await import(pathToFileURL(join(project, 'probe.js')));
    // Node's fetch cannot read file: URLs, so the same build is fetched from
    // the emulator's app origin, which serves dist/.
    const client = await load({
      wasmUrl: `${appURL}/dist/markunread.wasm`,
      auth: { domain: new URL(portalURL).host, accessToken: token },
      portal: portalURL,
    });
    assert.equal(await client.markUnread('sg77', 3), true);
    const state = await (await fetch(`${portalURL}/devportal/state`)).json();
    assert.equal(state.unread.sg77, 3);
    await client.close();
  });
});
