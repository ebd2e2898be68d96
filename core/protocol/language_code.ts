// RocketMQ LanguageCode: the sender's language, a name in JSON headers and a byte in binary ones.

export const LanguageCode = {
  JAVA: 0,
  CPP: 1,
  DOTNET: 2,
  PYTHON: 3,
  DELPHI: 4,
  ERLANG: 5,
  RUBY: 6,
  OTHER: 7,
  HTTP: 8,
  GO: 9,
  PHP: 10,
  OMS: 11,
  RUST: 12,
  NODE_JS: 13,
} as const;

export type LanguageName = keyof typeof LanguageCode;

const namesByByte = new Map<number, LanguageName>(
  (Object.keys(LanguageCode) as LanguageName[]).map((name) => [LanguageCode[name], name]),
);

export function languageName(code: number): LanguageName | undefined {
  return namesByByte.get(code);
}

export function isLanguageName(name: string): name is LanguageName {
  return Object.hasOwn(LanguageCode, name);
}
