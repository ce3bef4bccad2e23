using DuckEmbed.Onnx.Graph.Proto;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// Folds each residual <c>Add</c> into the <c>LayerNormalization</c> that reads it: one
/// <c>com.microsoft.SkipLayerNormalization</c> adds and normalises in one pass over the hidden states, where the pair
/// took two. Runs after <see cref="LayerNormFusion"/>; ONNX Runtime's own version of this fusion needs shapes it
/// could not infer for our int8 graphs, and did not fire.
/// </summary>
/// <remarks>
/// Only an <c>Add</c> of two computed tensors (not a bias: a constant), read by the norm alone, over the last axis.
/// The operator requires both to have the same shape; a broadcasting <c>Add</c> would fail when the session runs,
/// loudly, not give other numbers.
/// </remarks>
internal static class SkipLayerNormFusion
{
    /// <summary>Fuses in place; returns how many.</summary>
    public static int Apply(GraphProto graph)
    {
        var index = new GraphIndex(graph);
        var readers = graph.Node.SelectMany(n => n.Input).GroupBy(i => i, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var fused = 0;
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var norm = graph.Node[i];
            if (norm.OpType != "LayerNormalization" || norm.Domain is not ("" or "ai.onnx") || norm.Output.Count != 1
                || norm.Input.Count != 3 || norm.Attribute.FirstOrDefault(a => a.Name == "axis") is not { I: -1 }
                || index.Producer(norm.Input[0], "Add") is not { Input.Count: 2 } add
                || add.Input.Any(input => index.Constant(input) is not null)
                || readers[add.Output[0]] != 1 || outputs.Contains(add.Output[0]))
            {
                continue;
            }
            var epsilon = norm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            graph.Node[i] = new NodeProto
            {
                OpType = "SkipLayerNormalization",
                Domain = ContribOperators.Domain,
                Name = norm.Output[0] + "_SkipLayerNormalization",
                Input = { add.Input[0], add.Input[1], norm.Input[1], norm.Input[2] },
                Output = { norm.Output[0] },
                Attribute = { new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = epsilon } },
            };
            fused++;
        }
        if (fused > 0)
        {
            GraphIndex.RemoveUnread(graph);
        }
        return fused;
    }
}
