using System.Runtime.InteropServices;
using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;
using DataType = DuckEmbed.Onnx.Graph.Proto.TensorProto.Types.DataType;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Converts an fp32 model to fp16 the way onnxconverter-common's <c>convert_float_to_float16</c> does with
/// <c>keep_io_types</c>: float constants (initializers, <c>Constant</c>, <c>ConstantOfShape</c>) become fp16,
/// <c>Cast</c>s to float cast to fp16 instead, and casts at the edges keep the graph's float inputs and outputs
/// in fp32, so callers feed and read the same tensors as before. Types in between follow from the constants;
/// ONNX Runtime infers them again (the graph's recorded intermediate types are dropped).
/// </summary>
internal static class Float16Conversion
{
    // Constants are clamped to ±10,000 (onnxconverter-common's default) rather than to fp16's largest value,
    // 65,504: an attention mask's "minus a huge number" must stay finite after something is added to it.
    private const float Largest = 10_000f;

    // Nonzero constants smaller than this are raised to it instead of vanishing (again the converter's default).
    private const float Smallest = 1e-7f;

    public static byte[] Convert(byte[] model)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var graph = proto.Graph;
        if (graph.Node.Any(n => n.Attribute.Any(a => a.G is not null)))
        {
            throw new ModelLoadException(ModelSetting.Precision, "fp16: models with subgraphs (If, Loop, Scan) are not supported; use fp32.");
        }
        // Before any constant turns half: the layer norms' ε must be read while it is still the model's.
        LayerNormFusion.Apply(graph);
        // A norm the fusion did not recognise would compute its mean and variance in fp16, where a sum of squares
        // overflows to infinity and the vector to NaN: such a model is refused rather than run half right.
        if (graph.Node.Count(n => n.OpType == "ReduceMean" && GraphIndex.IsOnnx(n)) is var spelt and > 0)
        {
            throw new ModelLoadException(ModelSetting.Precision,
                $"fp16: {spelt} mean reductions of this model are not layer norms DuckEmbed recognises, so their statistics would be computed in fp16, " +
                "where they can overflow. Use fp32 for this model (or int8 on the CPU).");
        }
        foreach (var tensor in graph.Initializer)
        {
            ToFloat16(tensor);
        }
        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is { } tensor && node.OpType is "Constant" or "ConstantOfShape")
                {
                    ToFloat16(tensor);
                }
                if (node.OpType == "Cast" && attribute.Name == "to" && attribute.I == (long)DataType.Float)
                {
                    attribute.I = (long)DataType.Float16;
                }
            }
        }
        graph.ValueInfo.Clear();
        KeepInputsInFloat32(graph);
        KeepOutputsInFloat32(graph);
        return proto.ToByteArray();
    }

    private static void KeepInputsInFloat32(GraphProto graph)
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        // Older exports also list their initializers as graph inputs; those are now fp16 and must be declared so.
        foreach (var constant in graph.Input.Where(i => IsFloat(i) && initializers.Contains(i.Name)))
        {
            constant.Type.TensorType.ElemType = (int)DataType.Float16;
        }
        var casts = new List<NodeProto>();
        foreach (var input in graph.Input.Where(i => IsFloat(i)))
        {
            var half = input.Name + "_fp16";
            Rename(graph, input.Name, half);
            casts.Add(Cast(input.Name, half, DataType.Float16));
        }
        for (var i = casts.Count - 1; i >= 0; i--)
        {
            graph.Node.Insert(0, casts[i]);
        }
    }

    private static void KeepOutputsInFloat32(GraphProto graph)
    {
        foreach (var output in graph.Output.Where(IsFloat))
        {
            var half = output.Name + "_fp16";
            Rename(graph, output.Name, half);
            graph.Node.Add(Cast(half, output.Name, DataType.Float));
        }
    }

    /// <summary>Renames a tensor wherever a node makes or reads it (a graph input is made by no node).</summary>
    private static void Rename(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
        {
            foreach (var names in new[] { node.Input, node.Output })
            {
                for (var i = 0; i < names.Count; i++)
                {
                    if (names[i] == from)
                    {
                        names[i] = to;
                    }
                }
            }
        }
    }

    private static bool IsFloat(ValueInfoProto value) => value.Type?.TensorType?.ElemType == (int)DataType.Float;

    private static NodeProto Cast(string input, string output, DataType to) => new()
    {
        OpType = "Cast",
        Name = output + "_cast",
        Input = { input },
        Output = { output },
        Attribute = { new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)to } },
    };

    private static void ToFloat16(TensorProto tensor)
    {
        if (tensor.DataType != (int)DataType.Float)
        {
            return;
        }
        var values = TensorValues.ReadFloats(tensor);
        var halves = new ushort[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            halves[i] = BitConverter.HalfToUInt16Bits((Half)Clamp(values[i]));
        }
        tensor.FloatData.Clear();
        tensor.DataType = (int)DataType.Float16;
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(halves.AsSpan()));
    }

    internal static float Clamp(float value) => value switch
    {
        float.NaN => value,
        > Largest => Largest,
        < -Largest => -Largest,
        > 0 and < Smallest => Smallest,
        < 0 and > -Smallest => -Smallest,
        _ => value,
    };
}
