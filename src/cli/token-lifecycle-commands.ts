import { v1Path, type Json } from './api-client';
import { field, table, UsageError, type CommandGroup, type Invocation } from './command-table';

const tokenName = (arg: string): string => {
  const jti = arg.replace(/^tokens\//, '');
  if (!/^[A-Za-z0-9._~-]{1,128}$/.test(jti)) throw new UsageError(`"${arg}" is not a token id; give the token's jti (or tokens/JTI)`);
  return `tokens/${jti}`;
};

const grants = (t: Json): string =>
  (Array.isArray(t.grants) ? (t.grants as Json[]) : [])
    .map((g) => `${String(g.project)}:${(Array.isArray(g.roles) ? g.roles : []).join('+')}`)
    .join(',');

const rows = (tokens: readonly Json[]): string[] =>
  table(
    ['JTI', 'SUBJECT', 'ROLES', 'EXPIRES', 'STATE'],
    tokens.map((t) => [field(t, 'jti'), field(t, 'subject'), grants(t), field(t, 'expireTime'), field(t, 'state')]),
  );

/** `attestd token list|get|revoke`: the token lifecycle through the REST API (admin on every project). */
export const TOKEN_LIFECYCLE: CommandGroup = {
  name: 'token',
  summary: 'Tokens attestd has seen (recorded on first use, never the token itself) and their revocation.',
  subcommands: {
    list: {
      synopsis: 'list',
      summary: 'list the tokens attestd has seen and the revoked ones (admin on *)',
      args: [],
      inProject: false,
      async run(inv: Invocation) {
        const tokens = await inv.client().list('/v1/tokens', 'tokens');
        inv.print({ tokens }, () => rows(tokens));
        return 0;
      },
    },
    get: {
      synopsis: 'get JTI',
      summary: 'show one token by its jti',
      args: ['JTI'],
      inProject: false,
      async run(inv: Invocation) {
        const token = await inv.client().get(v1Path(tokenName(inv.args[0]!)));
        inv.print(token, () => rows([token]));
        return 0;
      },
    },
    revoke: {
      synopsis: 'revoke JTI',
      summary: 'revoke a token by its jti: every replica refuses it within seconds (admin on *)',
      args: ['JTI'],
      inProject: false,
      async run(inv: Invocation) {
        const token = await inv.client().post(v1Path(tokenName(inv.args[0]!), ':revoke'), {});
        inv.print(token, () => rows([token]));
        return 0;
      },
    },
  },
};
