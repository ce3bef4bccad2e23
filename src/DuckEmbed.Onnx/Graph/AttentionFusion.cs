using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Replaces each self-attention block of an exported BERT graph — head split (<c>Reshape</c> + <c>Transpose</c>)
/// of Q, K and V, Q·Kᵀ, scaling, the additive padding mask, <c>Softmax</c>, ·V and the head merge — by one
/// <c>com.microsoft.MultiHeadAttention</c> on the projected Q, K and V. ONNX Runtime fuses attention at start-up
/// only in the shapes of older exports (opset-11 <c>Unsqueeze</c>, constant reshape shapes, the bias second), so
/// for today's exports it ran attention as a dozen kernels per layer (transposes, Q·Kᵀ, mask add, softmax, ·V).
/// The Q, K and V projections stay separate <c>MatMul</c>s, so int8 quantizes them as before. Used for int8
/// (<see cref="PrecisionConversion"/>).
/// </summary>
/// <remarks>
/// A block is replaced only when every piece matches: the mask must be <c>(1 − cast(mask[:, None, None, :])) · c</c>
/// of the graph's <c>attention_mask</c> input (becoming the operator's key padding mask and <c>mask_filter_value</c>
/// c), and the head split a reshape to [B, S, N, H] whose run-time dimensions are the input's own. Anything else is
/// left as it was, so a model this does not recognise runs unfused, not wrong. Only the head merge is replaced (by
/// the operator, writing the same tensor); the pieces before it go only if nothing else reads them.
/// </remarks>
internal static class AttentionFusion
{
    private const string MaskInput = "attention_mask";

    /// <summary>
    /// The model metadata entry a fusion without the padding mask leaves (ONNX Runtime reads it back as custom
    /// metadata), so that whoever runs the model knows from the model itself that it takes batches of one length only.
    /// </summary>
    public const string MaskFreeMetadataKey = "duckembed.attention";

    /// <summary>The model with its attention blocks fused, and how many it fused (0: the model is returned as it was).</summary>
    /// <param name="model">The ONNX model.</param>
    /// <param name="keyPaddingMask">Whether the fused attention keeps <c>attention_mask</c> as its key padding mask.
    /// Without it ONNX Runtime's CPU kernel takes its flash-attention path, but every token of a batch is attended to:
    /// right only for batches whose texts all have the same token count (no padding).</param>
    public static (byte[] Model, int Fused) Apply(byte[] model, bool keyPaddingMask = true)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var graph = proto.Graph;
        if (!graph.Input.Any(i => i.Name == MaskInput))
        {
            return (model, 0);
        }
        var matcher = new BlockMatcher(new GraphIndex(graph));
        var blocks = graph.Node.Where(n => n.OpType == "Softmax").Select(matcher.MatchBlock).OfType<Block>().ToList();
        if (blocks.Count == 0)
        {
            return (model, 0);
        }
        var maskInt32 = MaskInput + "_int32";
        if (keyPaddingMask)
        {
            var cast = new NodeProto { OpType = "Cast", Name = maskInt32 + "_Cast", Input = { MaskInput }, Output = { maskInt32 } };
            cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Int32 });
            graph.Node.Insert(0, cast);
        }
        foreach (var block in blocks)
        {
            var attention = new NodeProto
            {
                OpType = "MultiHeadAttention",
                Domain = ContribOperators.Domain,
                Name = block.Output + "_MultiHeadAttention",
                Input = { block.Query, block.Key, block.Value },
                Output = { block.Output },
            };
            if (keyPaddingMask)
            {
                attention.Input.Add(["", maskInt32]);
            }
            attention.Attribute.Add(new AttributeProto { Name = "num_heads", Type = AttributeProto.Types.AttributeType.Int, I = block.Heads });
            attention.Attribute.Add(new AttributeProto { Name = "scale", Type = AttributeProto.Types.AttributeType.Float, F = block.Scale });
            attention.Attribute.Add(new AttributeProto { Name = "mask_filter_value", Type = AttributeProto.Types.AttributeType.Float, F = block.MaskFilterValue });
            var merge = graph.Node.IndexOf(block.HeadMerge);
            graph.Node[merge] = attention;
        }
        GraphIndex.RemoveUnread(graph);
        ContribOperators.Import(proto);
        if (!keyPaddingMask)
        {
            proto.MetadataProps.Add(new StringStringEntryProto { Key = MaskFreeMetadataKey, Value = "no padding mask: batches of one token count only" });
        }
        return (proto.ToByteArray(), blocks.Count);
    }

    /// <summary>One attention block: its projected inputs, its output (the head merge's), and its constants.</summary>
    private sealed record Block(string Query, string Key, string Value, string Output, NodeProto HeadMerge, long Heads, float Scale, float MaskFilterValue);

    /// <summary>Finds attention blocks in one graph.</summary>
    private sealed class BlockMatcher(GraphIndex index)
    {
        public Block? MatchBlock(NodeProto softmax)
        {
            if (!IsLastAxis(softmax) || index.Producer(softmax.Input[0], "Add") is not { } maskAdd)
            {
                return null;
            }
            // Scores + mask, in either order.
            var (scoresName, maskName) = index.Producer(maskAdd.Input[0], "Div", "Mul") is not null
                ? (maskAdd.Input[0], maskAdd.Input[1]) : (maskAdd.Input[1], maskAdd.Input[0]);
            if (index.Producer(scoresName, "Div", "Mul") is not { } scaling || MaskFilterValue(maskName) is not { } filter
                || index.Scalar<float>(scaling.Input[1]) is not { } factor || index.Producer(scaling.Input[0], "MatMul") is not { } qk)
            {
                return null;
            }
            var scale = scaling.OpType == "Div" ? 1 / factor : factor;
            if (HeadSplit(qk.Input[0], [0, 2, 1, 3]) is not { } query || HeadSplit(qk.Input[1], [0, 2, 3, 1]) is not { } key
                || index.Reader(softmax.Output[0], "MatMul") is not { } context || context.Input[0] != softmax.Output[0]
                || HeadSplit(context.Input[1], [0, 2, 1, 3]) is not { } value
                || index.Reader(context.Output[0], "Transpose") is not { } mergeTranspose || !HasPerm(mergeTranspose, [0, 2, 1, 3])
                || index.Reader(mergeTranspose.Output[0], "Reshape") is not { } merge
                || ReshapeShape(merge) is not { Length: 3 } mergedShape || mergedShape[0] != 0 || mergedShape[1] != 0
                || query.Heads != key.Heads || query.Heads != value.Heads || query.HeadSize != key.HeadSize || query.HeadSize != value.HeadSize
                || mergedShape[2] != query.Heads * query.HeadSize)
            {
                return null;
            }
            return new Block(query.Input, key.Input, value.Input, merge.Output[0], merge, query.Heads, scale, filter);
        }

        /// <summary>A tensor made by <c>Transpose(Reshape(input, [0, 0, N, H]), perm)</c>: the input, N and H.</summary>
        private (string Input, long Heads, long HeadSize)? HeadSplit(string tensor, long[] perm)
        {
            if (index.Producer(tensor, "Transpose") is not { } transpose || !HasPerm(transpose, perm)
                || index.Producer(transpose.Input[0], "Reshape") is not { } reshape
                || ReshapeShape(reshape) is not { Length: 4 } shape || shape[0] != 0 || shape[1] != 0 || shape[2] <= 0 || shape[3] <= 0)
            {
                return null;
            }
            return (reshape.Input[0], shape[2], shape[3]);
        }

        /// <summary>
        /// The c of a mask term <c>(1 − Cast(Unsqueeze(Unsqueeze(attention_mask)))) · c</c> shaped [B, 1, 1, S].
        /// </summary>
        private float? MaskFilterValue(string tensor)
        {
            if (index.Producer(tensor, "Mul") is not { } mul || index.Scalar<float>(mul.Input[1]) is not { } filter
                || index.Producer(mul.Input[0], "Sub") is not { } sub || index.Scalar<float>(sub.Input[0]) != 1f)
            {
                return null;
            }
            var unsqueezed = index.Producer(sub.Input[1], "Cast") is { } cast ? cast.Input[0] : sub.Input[1];
            if (index.Producer(unsqueezed, "Unsqueeze") is not { } second || index.Producer(second.Input[0], "Unsqueeze") is not { } first
                || first.Input[0] != MaskInput || index.Axes(first) is not [1] || index.Axes(second) is not [2])
            {
                return null;
            }
            return filter;
        }

        /// <summary>
        /// A reshape's target shape when it is a constant, or a <c>Concat</c> of constants and of the reshaped
        /// tensor's own dimension i at position i (0 there, Reshape's "keep this dimension").
        /// </summary>
        private long[]? ReshapeShape(NodeProto reshape)
        {
            if (reshape.Attribute.Any(a => a.Name == "allowzero" && a.I != 0))
            {
                return null;
            }
            if (index.Constant(reshape.Input[1]) is { } constant)
            {
                return GraphIndex.Values<long>(constant);
            }
            if (index.Producer(reshape.Input[1], "Concat") is not { } concat)
            {
                return null;
            }
            var shape = new long[concat.Input.Count];
            for (var i = 0; i < shape.Length; i++)
            {
                if (index.Scalar<long>(concat.Input[i]) is { } value)
                {
                    shape[i] = value;
                }
                else if (!IsDimensionOf(concat.Input[i], reshape.Input[0], i))
                {
                    return null;
                }
            }
            return shape;
        }

        /// <summary>Whether <paramref name="tensor"/> is <c>Unsqueeze(Gather(Shape(data), dimension), 0)</c>.</summary>
        private bool IsDimensionOf(string tensor, string data, int dimension) =>
            index.Producer(tensor, "Unsqueeze") is { } unsqueeze && index.Axes(unsqueeze) is [0]
            && index.Producer(unsqueeze.Input[0], "Gather") is { } gather && gather.Attribute.All(a => a.Name != "axis" || a.I == 0)
            && index.Scalar<long>(gather.Input[1]) == dimension
            && index.Producer(gather.Input[0], "Shape") is { } shape && shape.Input[0] == data && shape.Attribute.Count == 0;

        private static bool HasPerm(NodeProto transpose, long[] perm) =>
            transpose.Attribute.FirstOrDefault(a => a.Name == "perm") is { } attribute && attribute.Ints.SequenceEqual(perm);

        private static bool IsLastAxis(NodeProto softmax) =>
            softmax.Attribute.FirstOrDefault(a => a.Name == "axis") is { } axis && axis.I is -1 or 3;
    }
}
