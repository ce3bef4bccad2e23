using DuckEmbed.Onnx.Graph.Proto;
using DuckEmbed.Onnx.Inference;
using Google.Protobuf;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Appends sentence-transformers' pooling (masked mean or CLS), the cut to <c>truncate_dim</c> and the L2
/// normalisation to the model's graph, as a new output <see cref="OutputName"/> of [batch, dimensions]: on a GPU
/// only that leaves the device (the hidden states are [batch, tokens, hidden], tokens times larger), and the CPU
/// does no pooling. Max pooling stays on the CPU (<see cref="SentencePooling"/>).
/// </summary>
/// <remarks>
/// Built from operators whose form no opset changed since ONNX 1.x (Cast, Reshape, MatMul, Gather, Mul, Div, Max,
/// Sqrt), so any exported model takes it: the sums over tokens and over dimensions are MatMuls with the mask or with
/// ones, instead of ReduceSum, whose axes moved from attribute to input in opset 13.
/// </remarks>
internal static class PoolingGraph
{
    /// <summary>The pooled, normalised output the graph gains.</summary>
    public const string OutputName = "duckembed_sentence_embedding";

    /// <summary>Whether <paramref name="mode"/> is pooled in the graph.</summary>
    public static bool Supports(PoolingMode mode) => mode is PoolingMode.Mean or PoolingMode.Cls;

    /// <summary>
    /// The model with the pooled output added (its other outputs stay), or <c>null</c> where the graph cannot take it
    /// (max pooling, no <c>attention_mask</c> input, no [batch, tokens, hidden] output, a <c>truncate_dim</c> beyond the
    /// declared hidden size) and the CPU pools instead.
    /// </summary>
    public static byte[]? TryAppend(byte[] model, SentencePooling pooling)
    {
        if (!Supports(pooling.Mode))
        {
            return null;
        }
        var (inputs, outputs) = ReadInterface(model);
        static int Rank(ValueInfoProto value) => value.Type?.TensorType?.Shape?.Dim.Count ?? 0;
        var hidden = outputs.FirstOrDefault(o => o.Name == "last_hidden_state") ?? outputs.FirstOrDefault(o => Rank(o) == 3);
        if (hidden is null || !inputs.Any(i => i.Name == "attention_mask") || outputs.Any(o => o.Name == OutputName))
        {
            return null;
        }
        var hiddenOutput = hidden.Name;
        // Exported graphs often leave the hidden size symbolic; the session knows it, and checks truncate_dim.
        var declared = Rank(hidden) == 3 ? hidden.Type.TensorType.Shape.Dim[2].DimValue : 0;
        if (pooling.TruncateDimensions is < 1 || (declared > 0 && pooling.TruncateDimensions > declared))
        {
            return null;
        }
        var dimensions = pooling.TruncateDimensions ?? declared;
        // The additions only: appended to the model's bytes, protobuf merges this graph into the model's (its
        // repeated fields are concatenated), so the 90 MB of weights are neither parsed nor written again.
        var graph = new GraphProto();
        // Every name this adds is prefixed, so none can meet one of the model's; the model's two it reads are
        // passed as they are.
        static string Own(string what) => $"duckembed_pooling_{what}";
        void Node(string op, string output, string[] inputs, AttributeProto? attribute = null)
        {
            var node = new NodeProto { OpType = op, Name = Own(output), Input = { inputs }, Output = { Own(output) } };
            if (attribute is not null)
            {
                node.Attribute.Add(attribute);
            }
            graph.Node.Add(node);
        }
        void Constant(string name, TensorProto tensor)
        {
            tensor.Name = Own(name);
            graph.Initializer.Add(tensor);
        }
        static AttributeProto Int(string name, long value) => new() { Name = name, I = value, Type = AttributeProto.Types.AttributeType.Int };
        Constant("shape_b1x", Int64s([0, 1, -1]));
        Constant("shape_bx1", Int64s([0, -1, 1]));
        Constant("shape_bx", Int64s([0, -1]));

        // [batch, 1, hidden]: the pooled vector, before the cut and the normalisation.
        if (pooling.Mode == PoolingMode.Mean)
        {
            Constant("min_count", TensorValues.FloatTensor("", [1e-9f], []));
            Node("Cast", "mask", ["attention_mask"], Int("to", (long)TensorProto.Types.DataType.Float));
            Node("Reshape", "mask_row", [Own("mask"), Own("shape_b1x")]);
            Node("Reshape", "mask_column", [Own("mask"), Own("shape_bx1")]);
            Node("MatMul", "sum", [Own("mask_row"), hiddenOutput]);
            Node("MatMul", "count", [Own("mask_row"), Own("mask_column")]);
            Node("Max", "count_clamped", [Own("count"), Own("min_count")]);
            Node("Div", "pooled", [Own("sum"), Own("count_clamped")]);
        }
        else if (pooling.Mode == PoolingMode.Cls)
        {
            Constant("first_token", new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Int64Data = { 0 } });
            Node("Gather", "first", [hiddenOutput, Own("first_token")], Int("axis", 1));
            Node("Reshape", "pooled", [Own("first"), Own("shape_b1x")]);
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(pooling), pooling.Mode, "The graph pools mean or CLS only (see Supports).");
        }

        var kept = Own("pooled");
        if (pooling.TruncateDimensions is { } truncated && truncated != declared)
        {
            Constant("kept_dimensions", Int64s([.. Enumerable.Range(0, truncated).Select(d => (long)d)]));
            Node("Gather", "cut", [kept, Own("kept_dimensions")], Int("axis", 2));
            kept = Own("cut");
        }

        // x / max(‖x‖, 1e-12), as sentence-transformers' Normalize (torch.nn.functional.normalize); ‖x‖² as the
        // product of the row [batch, 1, d] with itself as a column [batch, d, 1].
        Constant("min_norm", TensorValues.FloatTensor("", [1e-12f], []));
        Node("Reshape", "kept_column", [kept, Own("shape_bx1")]);
        Node("MatMul", "sum_of_squares", [kept, Own("kept_column")]);
        Node("Sqrt", "norm", [Own("sum_of_squares")]);
        Node("Max", "norm_clamped", [Own("norm"), Own("min_norm")]);
        Node("Div", "normalized", [kept, Own("norm_clamped")]);
        graph.Node.Add(new NodeProto { OpType = "Reshape", Name = Own("output"), Input = { Own("normalized"), Own("shape_bx") }, Output = { OutputName } });

        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(dimensions > 0 ? new TensorShapeProto.Types.Dimension { DimValue = dimensions } : new TensorShapeProto.Types.Dimension { DimParam = "dimensions" });
        graph.Output.Add(new ValueInfoProto
        {
            Name = OutputName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        });
        return [.. model, .. new ModelProto { Graph = graph }.ToByteArray()];
    }

    /// <summary>
    /// The graph's inputs and outputs, read without parsing its nodes and initializers: a scan of the model's
    /// top-level fields to the graph, and of the graph's fields, skipping the rest.
    /// </summary>
    internal static (List<ValueInfoProto> Inputs, List<ValueInfoProto> Outputs) ReadInterface(byte[] model)
    {
        const int ModelGraphField = 7, GraphInputField = 11, GraphOutputField = 12;
        var (inputs, outputs) = (new List<ValueInfoProto>(), new List<ValueInfoProto>());
        var top = new CodedInputStream(model);
        uint tag;
        while ((tag = top.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != ModelGraphField || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            {
                top.SkipLastField();
                continue;
            }
            // A buffer's stream counts positions from the buffer's start. The graph field may come more than once
            // (protobuf merges them): each is read, then the scan goes on after it.
            var length = top.ReadLength();
            var start = (int)top.Position;
            var graph = new CodedInputStream(model, start, length);
            while ((tag = graph.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case GraphInputField:
                        inputs.Add(ValueInfoProto.Parser.ParseFrom(graph.ReadBytes()));
                        break;
                    case GraphOutputField:
                        outputs.Add(ValueInfoProto.Parser.ParseFrom(graph.ReadBytes()));
                        break;
                    default:
                        graph.SkipLastField();
                        break;
                }
            }
            top = new CodedInputStream(model, start + length, model.Length - start - length);
        }
        return (inputs, outputs);
    }

    private static TensorProto Int64s(long[] values) => new()
    {
        DataType = (int)TensorProto.Types.DataType.Int64,
        Dims = { values.Length },
        Int64Data = { values },
    };
}
