using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Tests;

/// <summary>Where the encoder writes a batch's inputs before ONNX Runtime copies them to the device.</summary>
public sealed class OnnxSentenceEncoderTests
{
    private static InferenceSession CpuSession() => new(ModelSource.Bundled().ReadModel());

    [Fact]
    public void On_the_cpu_inputs_are_bound_from_ordinary_host_memory()
    {
        using var encoder = new OnnxSentenceEncoder(CpuSession(), padId: 0, ExecutionDevice.Cpu, new SentencePooling(PoolingMode.Mean));
        Assert.Equal(OrtMemoryInfo.DefaultInstance.Name, encoder.InputMemory);
    }

    [Fact]
    public void On_cuda_the_encoder_asks_the_session_for_pinned_host_memory()
    {
        // No GPU here: a CPU session has no pinned allocator, so asking for one fails.
        var session = CpuSession();
        var error = Assert.ThrowsAny<OnnxRuntimeException>(() => new OnnxSentenceEncoder(session, padId: 0, ExecutionDevice.Cuda, new SentencePooling(PoolingMode.Mean)));
        session.Dispose();
        Assert.Contains("No requested allocator", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancelled_token_stops_the_run_inside_onnx_runtime_as_a_cancellation()
    {
        using var encoder = new OnnxSentenceEncoder(CpuSession(), padId: 0, ExecutionDevice.Cpu, new SentencePooling(PoolingMode.Mean));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var batch = Enumerable.Range(0, 8).Select(_ => new Tokenization.EncodedText([101, .. Enumerable.Repeat(2000, 200), 102], false)).ToList();

        // The Terminate flag is set before the run starts, so ONNX Runtime stops at its first check.
        Assert.Throws<OperationCanceledException>(() => encoder.Encode(batch, new float[8 * 384], cancelled.Token));
    }
}
