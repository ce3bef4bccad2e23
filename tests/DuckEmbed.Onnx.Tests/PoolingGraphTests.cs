using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Inference;
using DuckEmbed.Tests;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Tests;

/// <summary>Pooling and normalisation inside the graph give the vectors the CPU's pooling gives.</summary>
public sealed class PoolingGraphTests
{
    private static readonly byte[] Model = ModelSource.Bundled().ReadModel();

    [Theory]
    [InlineData(PoolingMode.Mean, null)]
    [InlineData(PoolingMode.Mean, 128)]
    [InlineData(PoolingMode.Cls, null)]
    [InlineData(PoolingMode.Cls, 64)]
    public void The_graphs_pooling_equals_the_cpus_on_a_padded_batch(PoolingMode mode, int? truncate)
    {
        var pooling = new SentencePooling(mode, truncate);
        var withPooling = PoolingGraph.TryAppend(Model, pooling);
        Assert.NotNull(withPooling);

        var (onCpu, _, cpuPooled) = PaddedBatch.Embed(Model, pooling);
        var (inGraph, _, graphPooled) = PaddedBatch.Embed(withPooling, pooling);

        Assert.False(cpuPooled);
        Assert.True(graphPooled);
        var dimensions = truncate ?? 384;
        for (var row = 0; row < PaddedBatch.Texts.Length; row++)
        {
            var cosine = VectorMath.Cosine(onCpu.AsSpan(row * dimensions, dimensions).ToArray(), inGraph.AsSpan(row * dimensions, dimensions).ToArray());
            Assert.True(cosine >= 0.999999, $"row {row}: cosine {cosine}");
        }
        Assert.InRange(inGraph.Select((v, i) => Math.Abs(v - onCpu[i])).Max(), 0, 1e-5);
    }

    [Fact]
    public void The_additions_are_appended_to_the_models_bytes_and_read_back_as_one_graph()
    {
        var withPooling = PoolingGraph.TryAppend(Model, new SentencePooling(PoolingMode.Mean))!;

        Assert.Equal(Model, withPooling.AsSpan(0, Model.Length).ToArray());
        var (inputs, outputs) = PoolingGraph.ReadInterface(withPooling);
        Assert.Contains(inputs, i => i.Name == "attention_mask");
        Assert.Equal([.. PoolingGraph.ReadInterface(Model).Outputs.Select(o => o.Name), PoolingGraph.OutputName], outputs.Select(o => o.Name));
        Assert.Contains(outputs, o => o.Name == "last_hidden_state");
        Assert.Null(PoolingGraph.TryAppend(withPooling, new SentencePooling(PoolingMode.Mean)));
    }

    [Fact]
    public void Max_pooling_stays_on_the_cpu()
    {
        Assert.Null(PoolingGraph.TryAppend(Model, new SentencePooling(PoolingMode.Max)));
    }

    [Fact]
    public void A_truncation_beyond_the_model_is_still_refused_by_name()
    {
        // The exported graph leaves the hidden size symbolic, so the pooling is appended; the session knows 384.
        var pooling = new SentencePooling(PoolingMode.Mean, 385);
        var model = PoolingGraph.TryAppend(Model, pooling) ?? Model;
        using var session = new InferenceSession(model);
        var error = Assert.Throws<ModelLoadException>(() => new OnnxSentenceEncoder(session, 0, ExecutionDevice.Cpu, pooling));
        Assert.Equal(ModelSetting.TruncateDimensions, error.Setting);
    }

    [Fact]
    public void The_pooled_output_is_batch_by_dimensions_and_the_hidden_states_stay_an_output()
    {
        var withPooling = PoolingGraph.TryAppend(Model, new SentencePooling(PoolingMode.Mean))!;
        using var session = new InferenceSession(withPooling);
        Assert.Equal([384], session.OutputMetadata[PoolingGraph.OutputName].Dimensions[1..]);
        Assert.Contains("last_hidden_state", session.OutputMetadata.Keys);
    }
}
