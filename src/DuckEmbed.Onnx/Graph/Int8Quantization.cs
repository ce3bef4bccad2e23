using System.Runtime.InteropServices;
using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Dynamic int8 quantization of a model's weight matrices, the transform of ONNX Runtime's Python
/// <c>quantize_dynamic</c>: every <c>MatMul</c> whose right-hand side is a constant float matrix becomes
/// ONNX Runtime's <c>com.microsoft.DynamicQuantizeMatMul</c>, with the weights stored as int8 and one scale per
/// output column (symmetric, zero point 0). Activations are quantized to uint8 per run, inside the operator.
/// Per-column scales keep a column of small weights from losing its precision to the largest weight in the matrix.
/// </summary>
internal static class Int8Quantization
{
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>The quantized model, or the reason it cannot be quantized.</summary>
    public static byte[] Quantize(byte[] model)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var graph = proto.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var uses = graph.Node.SelectMany(n => n.Input).GroupBy(i => i, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var quantized = new Dictionary<string, (string Weights, string Scales)>(StringComparer.Ordinal);

        foreach (var node in graph.Node)
        {
            if (node.OpType != "MatMul" || node.Domain is not ("" or "ai.onnx") || node.Input.Count != 2
                || !initializers.TryGetValue(node.Input[1], out var weight)
                || weight.DataType != (int)TensorProto.Types.DataType.Float || weight.Dims.Count != 2)
            {
                continue;
            }
            if (!quantized.TryGetValue(weight.Name, out var names))
            {
                var (values, scales) = QuantizePerColumn(TensorValues.ReadFloats(weight), (int)weight.Dims[0], (int)weight.Dims[1]);
                names = (weight.Name + "_int8", weight.Name + "_scale");
                graph.Initializer.Add(new TensorProto
                {
                    Name = names.Weights,
                    DataType = (int)TensorProto.Types.DataType.Int8,
                    Dims = { weight.Dims },
                    RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())),
                });
                graph.Initializer.Add(TensorValues.FloatTensor(names.Scales, scales, [scales.Length]));
                quantized.Add(weight.Name, names);
            }
            node.OpType = "DynamicQuantizeMatMul";
            node.Domain = MicrosoftDomain;
            node.Input[1] = names.Weights;
            node.Input.Add(names.Scales);
            uses[weight.Name]--;
        }
        if (quantized.Count == 0)
        {
            throw new ModelLoadException("precision int8: the model has no MatMul with constant weights to quantize.");
        }

        // The float originals go unless something else still reads them.
        for (var i = graph.Initializer.Count - 1; i >= 0; i--)
        {
            if (quantized.ContainsKey(graph.Initializer[i].Name) && uses[graph.Initializer[i].Name] == 0)
            {
                graph.Initializer.RemoveAt(i);
            }
        }
        if (!proto.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
        {
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        }
        return proto.ToByteArray();
    }

    /// <summary>Symmetric int8 per column of a row-major [rows, columns] matrix: q = round(w / scale), scale = max|w| / 127.</summary>
    internal static (sbyte[] Values, float[] Scales) QuantizePerColumn(ReadOnlySpan<float> weights, int rows, int columns)
    {
        var scales = new float[columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                scales[c] = Math.Max(scales[c], Math.Abs(weights[r * columns + c]));
            }
        }
        for (var c = 0; c < columns; c++)
        {
            scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
        }
        var values = new sbyte[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                values[r * columns + c] = (sbyte)Math.Clamp(MathF.Round(weights[r * columns + c] / scales[c]), -127, 127);
            }
        }
        return (values, scales);
    }
}
