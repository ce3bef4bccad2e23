using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Runs the fp32 model on a few texts and records, for each named intermediate tensor, the largest |value| of each
/// channel (last axis): the ranges <see cref="Int8Quantization"/> finds outlier channels from.
/// </summary>
internal static class ActivationCalibration
{
    public static Dictionary<string, float[]> ChannelMaxima(byte[] model, IReadOnlyList<string> tensors, IEnumerable<int[]> tokenIds,
        CancellationToken cancellationToken = default)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        foreach (var name in tensors)
        {
            proto.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }
        using var session = CreateSession(proto.ToByteArray());
        var feedsTokenTypes = session.InputMetadata.ContainsKey("token_type_ids");
        var maxima = new Dictionary<string, float[]>(StringComparer.Ordinal);
        using var runOptions = new RunOptions();
        // Calibration takes seconds: a stop ends the run in progress, not only the next one.
        using var terminate = cancellationToken.Register(() => runOptions.Terminate = true);
        foreach (var ids in tokenIds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // One text per run: no padding, so only real tokens are measured.
            long[] shape = [1, ids.Length];
            using var inputIds = OrtValue.CreateTensorValueFromMemory(ids.Select(i => (long)i).ToArray(), shape);
            using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), shape);
            using var tokenTypes = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
            string[] names = feedsTokenTypes ? ["input_ids", "attention_mask", "token_type_ids"] : ["input_ids", "attention_mask"];
            OrtValue[] values = feedsTokenTypes ? [inputIds, mask, tokenTypes] : [inputIds, mask];
            using var outputs = Run(session, runOptions, names, values, tensors, cancellationToken);
            for (var t = 0; t < tensors.Count; t++)
            {
                var data = outputs[t].GetTensorDataAsSpan<float>();
                var channels = (int)outputs[t].GetTensorTypeAndShape().Shape[^1];
                if (!maxima.TryGetValue(tensors[t], out var channelMaxima))
                {
                    maxima[tensors[t]] = channelMaxima = new float[channels];
                }
                for (var i = 0; i < data.Length; i++)
                {
                    channelMaxima[i % channels] = Math.Max(channelMaxima[i % channels], Math.Abs(data[i]));
                }
            }
        }
        return maxima;
    }

    private static InferenceSession CreateSession(byte[] model)
    {
        try
        {
            return new InferenceSession(model);
        }
        catch (OnnxRuntimeException error)
        {
            throw new ModelLoadException(ModelSetting.Precision, $"int8: the calibration run cannot load the model ({error.Message}). Use fp32 for this model.", error);
        }
    }

    private static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, RunOptions options,
        string[] names, OrtValue[] values, IReadOnlyList<string> outputs, CancellationToken cancellationToken)
    {
        try
        {
            return session.Run(options, names, values, outputs);
        }
        catch (OnnxRuntimeException error)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ModelLoadException(ModelSetting.Precision, $"int8: the calibration run failed ({error.Message}); int8 needs a BERT-style model with input_ids and attention_mask inputs. Use fp32 for this model.", error);
        }
    }
}
