using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// The fusions ONNX Runtime does not find in today's BERT exports, in the order they build on each other: spelt-out
/// layer norms (<see cref="LayerNormFusion"/>), residual adds into them (<see cref="SkipLayerNormFusion"/>), attention
/// blocks (<see cref="AttentionFusion"/>). Used for int8 (<see cref="PrecisionConversion"/>).
/// </summary>
internal static class GraphFusions
{
    /// <summary>The model with every fusion that matched; the model itself when none did.</summary>
    public static byte[] Apply(byte[] model)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var graph = proto.Graph;
        var layerNorms = LayerNormFusion.Apply(graph);
        var skips = SkipLayerNormFusion.Apply(graph);
        var attention = AttentionFusion.Apply(graph);
        if (layerNorms + skips + attention == 0)
        {
            return model;
        }
        if (skips + attention > 0)
        {
            ContribOperators.Import(proto);
        }
        return proto.ToByteArray();
    }
}
