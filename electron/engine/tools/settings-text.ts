/**
 * Settings files for the tools (`npm run simulate`): parsed with line numbers, so an error names the
 * line as well as the field and its range. The running app gets its settings over the engine
 * protocol and never reads such a file.
 */
import { JsonLocationError, parseLocatedJson, type LocatedJson } from './located-json';
import { ResourceInputError, issuesFromZod, scalerSettingsSchema, type ScalerSettings } from '../resource/policy/settings';

/** Validates a settings file's text; errors name the field, its range and the line. */
export function parseScalerSettingsText(text: string): ScalerSettings {
  let located: LocatedJson;
  try {
    located = parseLocatedJson(text);
  } catch (error) {
    if (error instanceof JsonLocationError) throw new ResourceInputError('settings', [{ field: '(syntax)', line: error.line, message: error.message }]);
    throw error;
  }
  const result = scalerSettingsSchema.safeParse(located.value, { reportInput: true });
  if (!result.success) throw new ResourceInputError('settings', issuesFromZod(result.error, { located }));
  return result.data;
}
