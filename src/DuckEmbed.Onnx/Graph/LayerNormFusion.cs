using DuckEmbed.Onnx.Graph.Proto;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Replaces each layer norm an exporter spelt out — <c>(x − mean(x)) / sqrt(mean((x − mean(x))²) + ε) · γ + β</c>
/// over the last axis — by one <c>LayerNormalization</c> carrying ε as an attribute. ONNX Runtime does this fusion
/// itself at start-up, but it reads ε only from an fp32 constant: in a graph already converted to fp16 it finds a
/// half and takes its default 1e-5 instead of the model's (1e-12 for BERT) — and fp16 cannot hold 1e-12 anyway.
/// Fused before the conversion, ε stays exact, and the normalisation's statistics are computed in fp32
/// (<c>stash_type</c> 1, the default) whatever the precision of x.
/// </summary>
internal static class LayerNormFusion
{
    /// <summary>Fuses the graph's layer norms in place; returns how many.</summary>
    public static int Apply(GraphProto graph)
    {
        var index = new GraphIndex(graph);
        var fused = 0;
        for (var i = 0; i < graph.Node.Count; i++)
        {
            if (Match(index, graph.Node[i]) is { } layerNorm)
            {
                graph.Node[i] = layerNorm;
                fused++;
            }
        }
        if (fused > 0)
        {
            GraphIndex.RemoveUnread(graph);
        }
        return fused;
    }

    /// <summary>The <c>LayerNormalization</c> that computes what the final <c>Add</c> (of β) computes, or null.</summary>
    private static NodeProto? Match(GraphIndex index, NodeProto addBeta)
    {
        if (addBeta.OpType != "Add" || !GraphIndex.IsOnnx(addBeta) || addBeta.Input.Count != 2)
        {
            return null;
        }
        var (scaledName, beta) = index.Producer(addBeta.Input[0], "Mul") is not null ? (addBeta.Input[0], addBeta.Input[1]) : (addBeta.Input[1], addBeta.Input[0]);
        if (index.Producer(scaledName, "Mul") is not { } mulGamma || !IsVector(index, beta))
        {
            return null;
        }
        var (normalizedName, gamma) = index.Producer(mulGamma.Input[0], "Div") is not null ? (mulGamma.Input[0], mulGamma.Input[1]) : (mulGamma.Input[1], mulGamma.Input[0]);
        if (index.Producer(normalizedName, "Div") is not { } div || !IsVector(index, gamma)
            || index.Producer(div.Input[0], "Sub") is not { } centre
            || index.Producer(centre.Input[1], "ReduceMean") is not { } mean || mean.Input[0] != centre.Input[0] || !OverLastAxis(index, mean)
            || index.Producer(div.Input[1], "Sqrt") is not { } sqrt
            || index.Producer(sqrt.Input[0], "Add") is not { } addEpsilon
            || index.Producer(addEpsilon.Input[0], "ReduceMean") is not { } variance || !OverLastAxis(index, variance)
            || index.Scalar<float>(addEpsilon.Input[1]) is not { } epsilon
            || index.Producer(variance.Input[0], "Pow") is not { } square || square.Input[0] != div.Input[0] || index.Scalar<float>(square.Input[1]) != 2f)
        {
            return null;
        }
        return new NodeProto
        {
            OpType = "LayerNormalization",
            Name = addBeta.Output[0] + "_LayerNormalization",
            Input = { centre.Input[0], gamma, beta },
            Output = { addBeta.Output[0] },
            Attribute =
            {
                new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = -1 },
                new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = epsilon },
            },
        };
    }

    private static bool IsVector(GraphIndex index, string name) => index.Constant(name) is { Dims.Count: 1 } tensor
        && tensor.DataType == (int)TensorProto.Types.DataType.Float;

    private static bool OverLastAxis(GraphIndex index, NodeProto reduceMean) =>
        index.Axes(reduceMean) is [-1] && reduceMean.Attribute.All(a => a.Name != "keepdims" || a.I == 1);
}
