using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Graph.Proto;
using DuckEmbed.Onnx.Inference;
using Google.Protobuf;

namespace DuckEmbed.Onnx.Tests;

/// <summary>Spelt-out layer norms become LayerNormalization with the model's own ε, before fp16 could lose it.</summary>
public sealed class LayerNormFusionTests
{
    private static readonly byte[] MiniLM = ModelSource.Bundled().ReadModel();

    /// <summary>MiniLM's ε as its export wrote it: the constant added to the variance.</summary>
    private static float ExportedEpsilon()
    {
        var graph = ModelProto.Parser.ParseFrom(MiniLM).Graph;
        var sqrt = graph.Node.First(n => n.OpType == "Sqrt");
        var add = graph.Node.Single(n => n.Output.Contains(sqrt.Input[0]));
        var constant = graph.Node.Single(n => n.Output.Contains(add.Input[1])).Attribute.Single().T;
        return BitConverter.ToSingle(constant.RawData.Span);
    }

    [Fact]
    public void Fp16_carries_the_models_own_epsilon_into_every_layer_norm()
    {
        var epsilon = ExportedEpsilon();

        var graph = ModelProto.Parser.ParseFrom(Float16Conversion.Convert(MiniLM)).Graph;

        Assert.InRange(epsilon, 1e-13f, 1e-11f); // BERT's 1e-12, which fp16 cannot hold
        var norms = graph.Node.Where(n => n.OpType == "LayerNormalization").ToList();
        Assert.Equal(13, norms.Count); // the embeddings' and two per layer
        Assert.All(norms, n => Assert.Equal(epsilon, n.Attribute.Single(a => a.Name == "epsilon").F));
        Assert.DoesNotContain(graph.Node, n => n.OpType is "Sqrt" or "Pow" or "ReduceMean");
    }

    [Fact]
    public void The_fused_norms_compute_what_the_spelt_out_ones_did()
    {
        var proto = ModelProto.Parser.ParseFrom(MiniLM);

        var fused = LayerNormFusion.Apply(proto.Graph);

        Assert.Equal(13, fused);
        var (before, _, _) = PaddedBatch.Embed(MiniLM, new SentencePooling(PoolingMode.Mean));
        var (after, _, _) = PaddedBatch.Embed(proto.ToByteArray(), new SentencePooling(PoolingMode.Mean));
        Assert.InRange(after.Select((v, i) => Math.Abs(v - before[i])).Max(), 0, 1e-5);
    }

    /// <summary>
    /// MiniLM with its first norm's Pow squaring the input instead of x − mean(x): what makes it a variance is gone, so
    /// it is some other formula, which the fusion must not take for a norm.
    /// </summary>
    private static (ModelProto Proto, NodeProto Pow) WithAnUnrecognisedNorm()
    {
        var proto = ModelProto.Parser.ParseFrom(MiniLM);
        var pow = proto.Graph.Node.First(n => n.OpType == "Pow");
        var centre = proto.Graph.Node.Single(n => n.Output.Contains(pow.Input[0]));
        pow.Input[0] = centre.Input[0];
        return (proto, pow);
    }

    [Fact]
    public void A_norm_that_squares_something_else_is_left_spelt_out()
    {
        var (proto, pow) = WithAnUnrecognisedNorm();

        var fused = LayerNormFusion.Apply(proto.Graph);

        Assert.Equal(12, fused);
        Assert.Contains(proto.Graph.Node, n => n == pow);
    }

    [Fact]
    public void Fp16_refuses_a_model_with_a_norm_it_does_not_recognise_rather_than_compute_its_statistics_in_fp16()
    {
        var (proto, _) = WithAnUnrecognisedNorm();

        var error = Assert.Throws<ModelLoadException>(() => Float16Conversion.Convert(proto.ToByteArray()));

        Assert.Equal(ModelSetting.Precision, error.Setting);
        Assert.StartsWith("fp16: 2 mean reductions of this model are not layer norms DuckEmbed recognises", error.Message, StringComparison.Ordinal);
    }
}
