// Execution providers as the front doors see them: the --provider option parsed, and which provider
// this machine runs with the reasons others were passed over (`foley model list`, the Models panel).
// The front doors reach ONNX Runtime only through here.
import { FoleyError } from '../../base/errors.ts';
import type { ProviderName } from '../../base/types.ts';
import { chooseProvider, parseProvider as parseProviderName } from '../../native-models/runtime/providers.ts';
import type { ProviderChoice } from '../../native-models/runtime/providers.ts';

/** "auto" or a provider name; anything else throws with the names that are accepted. */
export function parseProvider(text: string): ProviderName | 'auto' {
  return parseProviderName(text);
}

/** The provider sessions get for `requested` (a cached probe), with every candidate tried; a failure is a FoleyError. */
export async function providerChoice(requested: ProviderName | 'auto' = 'auto'): Promise<ProviderChoice> {
  return chooseProvider(requested).catch((e: unknown) => {
    throw new FoleyError(e instanceof Error ? e.message : String(e), { code: 'failed', cause: e });
  });
}

/** The same as one line per provider passed over, for a status display. */
export function providerNotes(choice: ProviderChoice): string[] {
  return choice.attempts.filter((a) => !a.ok).map((a) => `${a.provider} unavailable: ${a.error ?? ''}`);
}
