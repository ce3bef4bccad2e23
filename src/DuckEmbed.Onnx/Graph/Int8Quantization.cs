using System.Runtime.InteropServices;
using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Dynamic int8 quantization of a model's weight matrices, the transform of ONNX Runtime's Python
/// <c>quantize_dynamic</c>: every <c>MatMul</c> whose right-hand side is a constant float matrix becomes
/// ONNX Runtime's <c>com.microsoft.DynamicQuantizeMatMul</c>, with the weights quantized to 8 bits with one scale per
/// output column (symmetric), stored as the CPU's kernels compute them exactly (<see cref="Int8Weights"/>).
/// Activations are quantized to uint8 per run, inside the operator.
/// </summary>
/// <remarks>
/// One activation range covers a whole batch, and BERT models put a few huge values ("massive activations",
/// up to 15x the typical channel) on the [CLS] and [SEP] tokens in a few fixed channels: the range they set
/// leaves every other value a handful of steps, and short or repetitive texts, which have nothing to average the
/// error out, lose up to 3 % of cosine. Given each channel's calibrated range (<see cref="ActivationCalibration"/>),
/// the outlier channels are dealt with before quantizing, as in SmoothQuant and LLM.int8():
/// <list type="bullet">
/// <item>an outlier channel whose weight row is ordinary is scaled down to the outlier threshold, and its weight
/// row up by the same factor (one <c>Mul</c> on the input, shared by the MatMuls that read it);</item>
/// <item>an outlier channel whose weight row is an outlier too (scaling it up would ruin its columns' weight
/// scales) is taken out of the int8 product and multiplied in fp32 on the side: its input is zeroed by the same
/// <c>Mul</c>, its weight row zeroed in the int8 matrix, and <c>Gather</c> + <c>MatMul</c> + <c>Add</c> put
/// its share back.</item>
/// </list>
/// </remarks>
internal static class Int8Quantization
{
    /// <summary>A channel whose calibrated largest |value| exceeds this many times the median channel's is an outlier.</summary>
    internal const float OutlierRatio = 2.5f;

    /// <summary>An outlier channel whose largest |weight| exceeds this many times the median row's goes to the fp32 side product.</summary>
    internal const float WeightOutlierRatio = 8f;

    /// <summary>The names of the tensors that feed the quantizable MatMuls: what <see cref="ActivationCalibration"/> measures.</summary>
    public static IReadOnlyList<string> QuantizableInputs(byte[] model)
    {
        var graph = ModelProto.Parser.ParseFrom(model).Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return [.. graph.Node.Where(n => IsQuantizable(n, initializers)).Select(n => n.Input[0]).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The quantized model, its weights stored as <paramref name="layout"/> says. <paramref name="channelMaxima"/>: per
    /// input of <see cref="QuantizableInputs"/>, the largest |value| of each channel seen in calibration; inputs without
    /// an entry are quantized as they are.
    /// </summary>
    public static byte[] Quantize(byte[] model, Int8Weights layout, IReadOnlyDictionary<string, float[]>? channelMaxima = null)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var rewrite = new GraphRewrite(proto.Graph, layout);
        var groups = proto.Graph.Node.Where(n => IsQuantizable(n, rewrite.Initializers))
            .GroupBy(n => n.Input[0], StringComparer.Ordinal).ToList();
        if (groups.Count == 0)
        {
            throw new ModelLoadException(ModelSetting.Precision, "int8: the model has no MatMul with constant weights to quantize.");
        }
        foreach (var group in groups)
        {
            var weights = group.Select(n => rewrite.Initializers[n.Input[1]]).ToList();
            var rows = (int)weights[0].Dims[0];
            var plan = channelMaxima is not null && channelMaxima.TryGetValue(group.Key, out var maxima) && maxima.Length == rows
                ? OutlierPlan.For(maxima, RowMaxima(weights, rows))
                : OutlierPlan.None(rows);
            var (quantizedInput, outliers) = rewrite.PrepareInput(group.First(), group.Key, plan);
            foreach (var node in group)
            {
                rewrite.QuantizeMatMul(node, quantizedInput, outliers, plan);
            }
        }
        rewrite.Finish(groups.SelectMany(g => g));
        ContribOperators.Import(proto);
        return proto.ToByteArray();
    }

    /// <summary>The graph being rewritten: new initializers, and the nodes that go before and after existing ones.</summary>
    private sealed class GraphRewrite(GraphProto graph, Int8Weights layout)
    {
        private readonly HashSet<string> _replacedWeights = new(StringComparer.Ordinal);

        // Keyed by identity: the nodes change (and protobuf messages hash by value) after they are added.
        private readonly Dictionary<NodeProto, List<NodeProto>> _nodesBefore = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<NodeProto, List<NodeProto>> _nodesAfter = new(ReferenceEqualityComparer.Instance);

        public Dictionary<string, TensorProto> Initializers { get; } = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);

        /// <summary>
        /// What the MatMuls reading <paramref name="input"/> quantize (the input with its outlier channels scaled or
        /// zeroed), and the outlier channels gathered for the fp32 side product; both placed before <paramref name="firstReader"/>.
        /// </summary>
        public (string QuantizedInput, string Outliers) PrepareInput(NodeProto firstReader, string input, OutlierPlan plan)
        {
            var before = _nodesBefore[firstReader] = [];
            var quantizedInput = input;
            if (plan.ChangesInput)
            {
                quantizedInput = input + "_int8_input";
                Add(TensorValues.FloatTensor(input + "_channel_scales", plan.InputScales, [plan.InputScales.Length]));
                before.Add(Node("Mul", [input, input + "_channel_scales"], quantizedInput));
            }
            var outliers = input + "_outlier_channels";
            if (plan.SideChannels.Length > 0)
            {
                Add(new TensorProto
                {
                    Name = input + "_outlier_indices",
                    DataType = (int)TensorProto.Types.DataType.Int64,
                    Dims = { plan.SideChannels.Length },
                    RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(plan.SideChannels.Select(c => (long)c).ToArray().AsSpan())),
                });
                var gather = Node("Gather", [input, input + "_outlier_indices"], outliers);
                gather.Attribute.Add(new AttributeProto { Name = "axis", I = -1, Type = AttributeProto.Types.AttributeType.Int });
                before.Add(gather);
            }
            return (quantizedInput, outliers);
        }

        /// <summary><paramref name="node"/> becomes a DynamicQuantizeMatMul on int8 weights, plus the side product of its outlier rows.</summary>
        public void QuantizeMatMul(NodeProto node, string quantizedInput, string outliers, OutlierPlan plan)
        {
            // Named after the output, which is unique (node names may be empty, weights may be shared).
            var output = node.Output[0];
            var weight = Initializers[node.Input[1]];
            var (rows, columns) = ((int)weight.Dims[0], (int)weight.Dims[1]);
            var values = TensorValues.ReadFloats(weight);
            var (quantized, scales) = QuantizePerColumn(plan.ApplyToWeights(values, columns), rows, columns);
            // Signed: the int8 values as they are, zero point 0. Unsigned: the same values moved up by 128, zero point 128.
            var unsigned = layout == Int8Weights.Unsigned;
            var stored = MemoryMarshal.AsBytes(quantized.AsSpan()).ToArray();
            if (unsigned)
            {
                for (var i = 0; i < stored.Length; i++)
                {
                    stored[i] = (byte)(quantized[i] + UnsignedZeroPoint);
                }
            }
            Add(new TensorProto
            {
                Name = output + "_weight_int8",
                DataType = (int)(unsigned ? TensorProto.Types.DataType.Uint8 : TensorProto.Types.DataType.Int8),
                Dims = { weight.Dims },
                RawData = ByteString.CopyFrom(stored),
            });
            Add(TensorValues.FloatTensor(output + "_weight_scale", scales, [columns]));
            if (unsigned)
            {
                Add(new TensorProto
                {
                    Name = output + "_weight_zero_point",
                    DataType = (int)TensorProto.Types.DataType.Uint8,
                    Dims = { columns },
                    RawData = ByteString.CopyFrom([.. Enumerable.Repeat((byte)UnsignedZeroPoint, columns)]),
                });
            }
            _replacedWeights.Add(weight.Name);
            node.OpType = "DynamicQuantizeMatMul";
            node.Domain = ContribOperators.Domain;
            node.Input[0] = quantizedInput;
            node.Input[1] = output + "_weight_int8";
            node.Input.Add(output + "_weight_scale");
            node.Input.Add(unsigned ? output + "_weight_zero_point" : ""); // signed: no zero point, symmetric
            if (plan.SideChannels.Length > 0)
            {
                node.Output[0] = output + "_int8";
                Add(TensorValues.FloatTensor(output + "_outlier_rows", plan.SideRows(values, columns), [plan.SideChannels.Length, columns]));
                _nodesAfter[node] =
                [
                    Node("MatMul", [outliers, output + "_outlier_rows"], output + "_outliers"),
                    Node("Add", [output + "_int8", output + "_outliers"], output),
                ];
            }
        }

        /// <summary>Folds bias adds, puts the new nodes in place, and drops the float weights nothing reads any more.</summary>
        public void Finish(IEnumerable<NodeProto> quantized)
        {
            var folded = FoldBiasAdds(graph, quantized, _nodesAfter, Initializers);
            var ordered = graph.Node.Where(n => !folded.Contains(n)).SelectMany(n =>
                _nodesBefore.GetValueOrDefault(n, []).Append(n).Concat(_nodesAfter.GetValueOrDefault(n, []))).ToList();
            graph.Node.Clear();
            graph.Node.AddRange(ordered);
            var stillRead = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
            for (var i = graph.Initializer.Count - 1; i >= 0; i--)
            {
                if (_replacedWeights.Contains(graph.Initializer[i].Name) && !stillRead.Contains(graph.Initializer[i].Name))
                {
                    graph.Initializer.RemoveAt(i);
                }
            }
        }

        private void Add(TensorProto tensor)
        {
            graph.Initializer.Add(tensor);
            Initializers[tensor.Name] = tensor;
        }
    }

    /// <summary>
    /// Moves the bias <c>Add</c> that follows a quantized MatMul into the operator's own bias input, which it adds
    /// while writing its output: one pass less over every projection's output. Returns the <c>Add</c> nodes made redundant.
    /// </summary>
    private static HashSet<NodeProto> FoldBiasAdds(GraphProto graph, IEnumerable<NodeProto> quantized,
        Dictionary<NodeProto, List<NodeProto>> nodesAfter, Dictionary<string, TensorProto> initializers)
    {
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n)))
            .ToLookup(p => p.Input, p => p.Node, StringComparer.Ordinal);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var folded = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var node in quantized)
        {
            var last = nodesAfter.TryGetValue(node, out var after) ? after[^1] : node;
            var output = last.Output[0];
            var readers = consumers[output].ToList();
            if (graphOutputs.Contains(output) || readers.Count != 1 || readers[0].OpType != "Add" || readers[0].Input.Count != 2)
            {
                continue;
            }
            var add = readers[0];
            var biasName = add.Input[0] == output ? add.Input[1] : add.Input[0];
            var columns = initializers[node.Input[1]].Dims[1];
            if (!initializers.TryGetValue(biasName, out var bias) || bias.DataType != (int)TensorProto.Types.DataType.Float
                || bias.Dims.Count != 1 || bias.Dims[0] != columns)
            {
                continue;
            }
            node.Input.Add(biasName);
            last.Output[0] = add.Output[0];
            folded.Add(add);
        }
        return folded;
    }

    /// <summary>The largest quantized weight: the whole int8 range but -128, so that the scale is symmetric.</summary>
    internal const int LargestWeight = 127;

    /// <summary>The zero point of <see cref="Int8Weights.Unsigned"/> weights: 0 stored as 128.</summary>
    private const int UnsignedZeroPoint = 128;

    /// <summary>Symmetric per column of a row-major [rows, columns] matrix: q = round(w / scale), scale = max|w| / <see cref="LargestWeight"/>.</summary>
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
            scales[c] = scales[c] > 0 ? scales[c] / LargestWeight : 1f;
        }
        var values = new sbyte[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                values[r * columns + c] = (sbyte)Math.Clamp(MathF.Round(weights[r * columns + c] / scales[c]), -LargestWeight, LargestWeight);
            }
        }
        return (values, scales);
    }

    private static bool IsQuantizable(NodeProto node, Dictionary<string, TensorProto> initializers) =>
        node.OpType == "MatMul" && node.Domain is ("" or "ai.onnx") && node.Input.Count == 2
        && !initializers.ContainsKey(node.Input[0])
        && initializers.TryGetValue(node.Input[1], out var weight)
        && weight.DataType == (int)TensorProto.Types.DataType.Float && weight.Dims.Count == 2;

    /// <summary>Per input channel (weight row), the largest |weight| over all the matrices that read the input.</summary>
    private static float[] RowMaxima(List<TensorProto> weights, int rows)
    {
        var maxima = new float[rows];
        foreach (var weight in weights)
        {
            var values = TensorValues.ReadFloats(weight);
            var columns = values.Length / rows;
            for (var i = 0; i < values.Length; i++)
            {
                maxima[i / columns] = Math.Max(maxima[i / columns], Math.Abs(values[i]));
            }
        }
        return maxima;
    }

    private static NodeProto Node(string opType, string[] inputs, string output) =>
        new() { OpType = opType, Name = output + "_" + opType, Input = { inputs }, Output = { output } };
}
