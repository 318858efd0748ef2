import { describe, expect, it } from 'vitest';
import { modelOfPrediction, newPredictionId } from './ids.ts';

describe('prediction ids', () => {
  it('carry the model, including names with dots and dashes', () => {
    expect(modelOfPrediction(newPredictionId('text.dir-v2'))).toBe('text.dir-v2');
  });

  it('sort by creation time', () => {
    const a = newPredictionId('m', 1_700_000_000_000);
    const b = newPredictionId('m', 1_700_000_000_001);
    expect(a < b).toBe(true);
  });

  it('reject malformed ids', () => {
    expect(modelOfPrediction('nonsense')).toBeUndefined();
    expect(modelOfPrediction('Model.01m83xqsfwmba2gkx4nf4d8kb9')).toBeUndefined();
  });
});
