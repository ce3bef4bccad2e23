using DuckEmbed.Onnx.Devices;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Tests;

/// <summary>
/// What a CUDA session is made with, pinned without a GPU: the provider's options, the token budget, and the warm-up
/// run at the largest shape (run here on the CPU, where the same call works).
/// </summary>
public sealed class CudaSessionSettingsTests
{
    [Fact]
    public void The_arena_grows_by_what_is_asked_and_fp32_stays_fp32_unless_tf32_is_allowed()
    {
        var options = InferenceSessionFactory.CudaProviderOptions(1, new SentenceEmbeddingOptions());

        Assert.Equal("1", options["device_id"]);
        Assert.Equal("kSameAsRequested", options["arena_extend_strategy"]);
        Assert.Equal("0", options["use_tf32"]);
        Assert.False(options.ContainsKey("gpu_mem_limit"));
        Assert.Equal("1", InferenceSessionFactory.CudaProviderOptions(0, new SentenceEmbeddingOptions { CudaTf32 = true })["use_tf32"]);
    }

    [Fact]
    public void A_memory_limit_is_passed_in_bytes()
    {
        var options = InferenceSessionFactory.CudaProviderOptions(0, new SentenceEmbeddingOptions { CudaMemoryLimitBytes = 8L << 30 });
        Assert.Equal("8589934592", options["gpu_mem_limit"]);
    }

    [Fact]
    public void The_token_budget_defaults_to_the_devices_own()
    {
        var options = new SentenceEmbeddingOptions();
        Assert.Equal(SentenceEmbeddingOptions.DefaultMaxBatchTokens, options.MaxBatchTokensOn(ExecutionDevice.Cpu));
        Assert.Equal(SentenceEmbeddingOptions.DefaultCudaMaxBatchTokens, options.MaxBatchTokensOn(ExecutionDevice.Cuda));
        Assert.Equal(4096, (options with { MaxBatchTokens = 4096 }).MaxBatchTokensOn(ExecutionDevice.Cuda));
    }

    [Theory]
    [InlineData(256, 131_072, 256, 256)]
    [InlineData(1024, 131_072, 256, 512)]
    [InlineData(32, 16_384, 512, 32)]
    [InlineData(8, 100, 512, 1)]
    public void The_warm_up_shape_is_the_longest_texts_as_many_as_batch_and_budget_allow(int batch, int budget, int length, int rows)
    {
        Assert.Equal((rows, length), SessionWarmUp.LargestShape(batch, budget, length));
    }

    [Fact]
    public void The_warm_up_runs_the_model_once_at_the_shape_it_is_given()
    {
        using var session = new InferenceSession(ModelSource.Bundled().ReadModel());
        SessionWarmUp.Run(session, rows: 3, length: 256);
    }

    [Fact]
    public void A_warm_up_past_the_models_length_fails_as_onnx_runtime_reports_it()
    {
        // MiniLM has 512 positions: a run beyond them fails inside ONNX Runtime, as a GPU without kernels would.
        using var session = new InferenceSession(ModelSource.Bundled().ReadModel());
        Assert.Throws<OnnxRuntimeException>(() => SessionWarmUp.Run(session, rows: 1, length: 600));
    }
}
