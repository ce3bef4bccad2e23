using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;

namespace DuckEmbed.Onnx.Tests;

/// <summary>Residual adds folded into the layer norms that read them compute what the pair computed.</summary>
public sealed class SkipLayerNormFusionTests
{
    private static readonly byte[] MiniLM = ModelSource.Bundled().ReadModel();

    [Fact]
    public void Every_add_before_a_layer_norm_is_folded_and_the_vectors_stay()
    {
        var proto = ModelProto.Parser.ParseFrom(MiniLM);
        LayerNormFusion.Apply(proto.Graph);

        var fused = SkipLayerNormFusion.Apply(proto.Graph);

        // Two residuals per layer, and the embeddings' sum (its position rows broadcast over the batch).
        Assert.Equal(13, fused);
        Assert.DoesNotContain(proto.Graph.Node, n => n.OpType == "LayerNormalization");
        ContribOperators.Import(proto);
        var pooling = new SentencePooling(PoolingMode.Mean);
        var (before, _, _) = PaddedBatch.Embed(MiniLM, pooling);
        var (after, _, _) = PaddedBatch.Embed(proto.ToByteArray(), pooling);
        Assert.InRange(after.Select((v, i) => Math.Abs(v - before[i])).Max(), 0, 1e-5);
    }

    [Fact]
    public void A_sum_something_else_also_reads_is_left_to_its_add()
    {
        var proto = ModelProto.Parser.ParseFrom(MiniLM);
        LayerNormFusion.Apply(proto.Graph);
        var norm = proto.Graph.Node.First(n => n.OpType == "LayerNormalization");
        proto.Graph.Output.Add(new ValueInfoProto { Name = norm.Input[0] });

        var fused = SkipLayerNormFusion.Apply(proto.Graph);

        Assert.Equal(12, fused);
        Assert.Contains(proto.Graph.Node, n => n == norm);
    }
}
