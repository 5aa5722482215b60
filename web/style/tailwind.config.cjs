// Bitrix24's published design tokens (@bitrix24/b24style, a Tailwind plugin):
// colors, font stacks, sizes, radii and shadows. The pages use no utility
// classes; the sources here turn the tokens into a few components with
// theme(), so the generated CSS is small and the pages stay framework-free.
module.exports = {
  content: { files: [], relative: true },
  plugins: [require('@bitrix24/b24style')],
};
