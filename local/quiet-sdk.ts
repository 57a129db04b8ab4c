/**
 * Imported first by the local entry points (`npm start`, `npm run chaos`), before any SDK client
 * exists. Lambda runs Node 22+; the SDK's notice that its 2027 releases need Node ≥ 22 is noise
 * on a laptop running Node 20. A value already set (say `false`) is kept.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
