// What an app built with Vite does: import the package by name, load it
// inside the portal's iframe (no auth to configure), mark on submit.
import { load } from 'markunread';

const $ = (id) => document.getElementById(id);

async function main() {
  let client;
  try {
    client = await load();
  } catch (err) {
    $('status').textContent = `not loaded: ${err.code || ''} ${err.message}`;
    return;
  }
  $('status').textContent = 'Ready.';
  const button = document.querySelector('#mark button');
  button.disabled = false;
  $('mark').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      $('result').textContent = String(await client.markUnread($('dialog').value, $('message').value));
    } catch (err) {
      $('result').textContent = `${err.code}: ${err.description}`;
    }
  });
}

main();
