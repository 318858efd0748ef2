// Tensors by reference at the gateway: an input's {"uri"} and a request's output_uri must name
// a place under ALTO_PAYLOAD_ROOTS (a 400 naming the setting, the URI and the roots otherwise).
// Checked on their spelling only: the gateway never reads or writes the objects, the worker
// does, and checks local paths again on what they resolve to (docs/payloads.md).
import { AltoError, withOutputUri, type TensorMap, type ValidateOptions } from '@alto/protocol';
import { PayloadError, assertPayloadAllowed } from '@alto/repository';

export interface PayloadRefs {
  /** validateInputs's option: vets each input's URI. */
  validate: ValidateOptions;
  /**
   * The inputs with the request's output_uri (vetted) for the queue, and whether the route can
   * answer outputs by URI (then large ones may go to the workers' default output root).
   */
  withOutput(tensors: TensorMap, outputUri: string | undefined, byReference: boolean): TensorMap;
}

function vet(field: string, uri: string, roots: readonly string[]): void {
  try {
    assertPayloadAllowed(uri, roots);
  } catch (err) {
    if (!(err instanceof PayloadError)) throw err;
    throw new AltoError(
      err.code === 'uri_not_allowed' ? 'uri_not_allowed' : 'invalid_input',
      `${field}: ${err.message}`,
    );
  }
}

export function payloadRefs(roots: readonly string[]): PayloadRefs {
  return {
    validate: { checkUri: (name, uri) => vet(`input '${name}'`, uri, roots) },
    withOutput(tensors, outputUri, byReference) {
      if (outputUri !== undefined) vet("field 'output_uri'", outputUri, roots);
      return withOutputUri(tensors, outputUri, byReference);
    },
  };
}
