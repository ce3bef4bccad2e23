using DuckEmbed.Onnx.Devices;
using DuckEmbed.Onnx.Inference;
using DuckEmbed.Tests;
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
    public void On_cuda_without_pinned_host_memory_the_encoder_says_so_and_uses_ordinary_memory()
    {
        // No GPU here: a CPU session has no pinned allocator, so asking for one fails, as it can on a real GPU host.
        var logger = new RecordingLogger();
        using var encoder = new OnnxSentenceEncoder(CpuSession(), padId: 0, ExecutionDevice.Cuda, new SentencePooling(PoolingMode.Mean), deviceId: 0, logger);

        Assert.Equal(OrtMemoryInfo.DefaultInstance.Name, encoder.InputMemory);
        Assert.Contains(logger.Lines, l => l.StartsWith("CUDA device 0: no pinned host memory (", StringComparison.Ordinal));
    }

    [Fact]
    public void Cuda_sessions_run_one_cpu_thread_inside_an_operator()
    {
        using var options = InferenceSessionFactory.CudaOptions();
        Assert.Equal(1, options.IntraOpNumThreads);
    }

    [Fact]
    public void A_cancelled_token_stops_the_run_inside_onnx_runtime_as_a_cancellation()
    {
        using var encoder = new OnnxSentenceEncoder(CpuSession(), padId: 0, ExecutionDevice.Cpu, new SentencePooling(PoolingMode.Mean));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var batch = Enumerable.Range(0, 8).Select(_ => new Tokenization.EncodedText((int[])[101, .. Enumerable.Repeat(2000, 200), 102], false)).ToList();

        // The Terminate flag is set before the run starts, so ONNX Runtime stops at its first check.
        Assert.Throws<OperationCanceledException>(() => encoder.Encode(batch, new float[8 * 384], cancelled.Token));
    }
}
