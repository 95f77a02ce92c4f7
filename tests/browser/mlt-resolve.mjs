// Node resolve hook for @maplibre/mlt's dist, whose ES modules import each
// other without the `.js` extension (bundlers add it; Node does not).
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && specifier.startsWith('.') && !specifier.endsWith('.js')) {
      return next(`${specifier}.js`, context);
    }
    throw e;
  }
}
