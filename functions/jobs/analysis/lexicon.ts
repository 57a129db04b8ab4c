/**
 * Word lists for the analysis job. Small on purpose — deterministic and dependency-free — and easy
 * to extend. Sentiment weights follow the AFINN convention (−5 … +5).
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  ('a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just let me more most my myself no nor not now of off on once only or ' +
    'other our ours ourselves out over own same she should so some such than that the their theirs them themselves then ' +
    'there these they this those through to too under until up us very was we were what when where which while who whom ' +
    'why will with would you your yours yourself yourselves also via per use using used get gets one two new make makes')
    .split(' '),
);

export const SENTIMENT: Readonly<Record<string, number>> = {
  amazing: 4, awesome: 4, best: 3, better: 2, brilliant: 4, clean: 2, delightful: 3, easy: 2, effective: 2, efficient: 2,
  elegant: 3, excellent: 3, fast: 2, favorite: 2, free: 1, good: 3, great: 3, happy: 3, helpful: 2, intuitive: 2, love: 3,
  loved: 3, nice: 3, perfect: 3, powerful: 2, reliable: 2, robust: 2, secure: 2, simple: 1, smooth: 2, solid: 2, stable: 2,
  success: 2, superb: 5, trusted: 2, useful: 2, win: 4, wonderful: 4,
  annoying: -2, awful: -3, bad: -3, broken: -2, buggy: -2, clunky: -2, complicated: -2, confusing: -2, crash: -2,
  crashes: -2, difficult: -1, expensive: -2, fail: -2, failed: -2, failure: -2, frustrating: -2, hard: -1, hate: -3,
  horrible: -3, insecure: -2, lost: -3, poor: -2, problem: -2, slow: -2, terrible: -3, ugly: -3, unreliable: -2,
  unstable: -2, useless: -2, worse: -3, worst: -3, wrong: -2,
};

/** Categories a tool may fall in, each with the words that vote for it. */
export const CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  'developer-tools': ['api', 'sdk', 'code', 'developer', 'developers', 'debug', 'deploy', 'git', 'cli', 'library', 'framework', 'compiler', 'ide', 'testing', 'ci', 'devops', 'typescript', 'javascript'],
  'ai-ml': ['ai', 'ml', 'model', 'models', 'llm', 'gpt', 'neural', 'machine', 'learning', 'inference', 'embedding', 'embeddings', 'agent', 'agents', 'prompt', 'chatbot'],
  analytics: ['analytics', 'dashboard', 'metrics', 'data', 'insights', 'reporting', 'reports', 'charts', 'tracking', 'bi', 'statistics'],
  productivity: ['productivity', 'tasks', 'todo', 'calendar', 'notes', 'workflow', 'automation', 'schedule', 'organize', 'team', 'collaboration'],
  design: ['design', 'designer', 'designers', 'ui', 'ux', 'figma', 'prototype', 'graphics', 'illustration', 'icons', 'fonts', 'color'],
  marketing: ['marketing', 'seo', 'campaign', 'campaigns', 'ads', 'email', 'newsletter', 'social', 'growth', 'audience', 'conversion', 'leads'],
  security: ['security', 'secure', 'encryption', 'password', 'passwords', 'auth', 'authentication', 'vulnerability', 'privacy', 'compliance', 'firewall'],
  finance: ['finance', 'payments', 'payment', 'invoice', 'invoices', 'accounting', 'billing', 'budget', 'banking', 'crypto', 'tax'],
  communication: ['chat', 'messaging', 'video', 'meeting', 'meetings', 'call', 'calls', 'inbox', 'slack', 'voice', 'conference'],
  education: ['learn', 'course', 'courses', 'students', 'teaching', 'education', 'tutorial', 'tutorials', 'quiz', 'school', 'lessons'],
};
