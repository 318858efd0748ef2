"""Health, server metadata and model metadata through tritonclient, over REST and gRPC."""

import pytest


def metadata(client, protocol, name, version=""):
    if protocol == "http":
        return client.get_model_metadata(name, version)
    # gRPC as JSON: int64 shapes come as strings there.
    m = client.get_model_metadata(name, version, as_json=True)
    for t in m["inputs"] + m["outputs"]:
        t["shape"] = [int(d) for d in t["shape"]]
    return m


def test_server_is_live_and_ready(client):
    assert client.is_server_live()
    assert client.is_server_ready()


def test_server_metadata_names_alto_and_the_binary_extension(client, protocol):
    m = client.get_server_metadata() if protocol == "http" else client.get_server_metadata(as_json=True)
    assert m["name"] == "alto"
    assert "binary_tensor_data" in m["extensions"]


@pytest.mark.parametrize("model", ["textdir", "tiny"])
def test_served_models_are_ready_latest_and_pinned(client, model):
    assert client.is_model_ready(model)
    assert client.is_model_ready(model, "1")


def test_unknown_model_or_version_is_not_ready(client):
    assert not client.is_model_ready("no-such-model")
    assert not client.is_model_ready("tiny", "9")


def test_textdir_metadata_gives_platform_datatypes_and_dynamic_dims(client, protocol):
    m = metadata(client, protocol, "textdir")
    assert m["name"] == "textdir"
    assert m["platform"] == "onnxruntime_onnx"
    assert m["versions"] == ["1"]
    assert m["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 3, 48, 192]}]
    assert m["outputs"] == [{"name": "softmax_0.tmp_0", "datatype": "FP32", "shape": [-1, 2]}]


def test_tiny_metadata_of_a_pinned_version(client, protocol):
    m = metadata(client, protocol, "tiny", "1")
    assert m["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 64]}]
    assert m["outputs"] == [{"name": "y", "datatype": "FP32", "shape": [-1, 10]}]


def test_metadata_of_an_unknown_model_is_a_clean_client_error(client, protocol):
    from tritonclient.utils import InferenceServerException

    with pytest.raises(InferenceServerException) as e:
        metadata(client, protocol, "no-such-model")
    assert "model 'no-such-model' is not published" in e.value.message()
    assert e.value.status() == ("404" if protocol == "http" else "StatusCode.NOT_FOUND")
