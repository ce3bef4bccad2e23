using DuckEmbed.Onnx.Devices;
using DuckEmbed.Tests;

namespace DuckEmbed.Onnx.Tests;

/// <summary>CUDA-or-CPU choice with fake session builders: no GPU is needed to pin the logic.</summary>
public sealed class DeviceSelectionTests
{
    private static string OnDevices(string devices) => $"{devices} devices";

    private static string NoCuda() => throw new CudaUnavailableException("cuDNN 9 is missing: libcudnn.so.9 could not be loaded");

    [Fact]
    public void Auto_uses_cuda_when_it_loads()
    {
        var logger = new RecordingLogger();
        Assert.Equal("cuda", DeviceSelection.Choose(ExecutionDevice.Auto, () => "cuda", () => "cpu", _ => "CUDA devices 0, 1", logger));
        Assert.Equal("Running on CUDA devices 0, 1 (device auto)", Assert.Single(logger.Lines));
    }

    [Fact]
    public void Auto_falls_back_to_the_cpu_with_one_line_saying_why()
    {
        var logger = new RecordingLogger();
        Assert.Equal("cpu", DeviceSelection.Choose(ExecutionDevice.Auto, NoCuda, () => "cpu", OnDevices, logger));
        Assert.Equal("Running on the CPU: CUDA is not available (cuDNN 9 is missing: libcudnn.so.9 could not be loaded)", Assert.Single(logger.Lines));
    }

    [Fact]
    public void Cuda_that_cannot_load_is_an_error_naming_what_is_missing()
    {
        var error = Assert.Throws<ModelLoadException>(() => DeviceSelection.Choose(ExecutionDevice.Cuda, NoCuda, () => "cpu", OnDevices, new RecordingLogger()));
        Assert.Equal(ModelSetting.Device, error.Setting);
        Assert.Equal("cuda: CUDA is not available: cuDNN 9 is missing: libcudnn.so.9 could not be loaded. Choose auto or cpu to run on the CPU.", error.Message);
    }

    [Fact]
    public void Cpu_never_tries_cuda()
    {
        Assert.Equal("cpu", DeviceSelection.Choose(ExecutionDevice.Cpu, () => throw new InvalidOperationException("tried CUDA"), () => "cpu", OnDevices, new RecordingLogger()));
    }

    [Theory]
    [InlineData("libcuda.so.1", "the NVIDIA driver")]
    [InlineData("libcudart.so.13", "the CUDA 13 runtime")]
    [InlineData("libcurand.so.10", "cuRAND for CUDA 13")]
    public void The_probe_names_the_first_missing_cuda_library(string missing, string what)
    {
        var message = CudaLibraryProbe.FindMissing(library => library != missing);
        Assert.StartsWith(what, message, StringComparison.Ordinal);
        Assert.EndsWith($"{missing} could not be loaded", message, StringComparison.Ordinal);
        Assert.Null(CudaLibraryProbe.FindMissing(_ => true));
    }

    [Fact]
    public void On_this_cpu_build_auto_runs_on_the_cpu_and_cuda_is_refused()
    {
        var logger = new RecordingLogger();
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { Device = ExecutionDevice.Auto }, logger);
        Assert.Contains(logger.Lines, l => l.StartsWith("Running on the CPU: CUDA is not available (", StringComparison.Ordinal));

        var error = Assert.Throws<ModelLoadException>(() => SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { Device = ExecutionDevice.Cuda }));
        Assert.StartsWith("cuda: CUDA is not available: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_cuda_devices_every_visible_device_is_used_and_device_0_when_the_count_is_unknown()
    {
        Assert.Equal([0, 1, 2], CudaDevices.Resolve(null, visible: 3));
        Assert.Equal([0], CudaDevices.Resolve(null, visible: 0));
    }

    [Fact]
    public void Listed_cuda_devices_are_used_in_their_order()
    {
        Assert.Equal([2, 0], CudaDevices.Resolve([2, 0], visible: 4));
        Assert.Equal([5], CudaDevices.Resolve([5], visible: 0));
    }

    [Fact]
    public void A_listed_cuda_device_that_is_not_visible_is_an_error_naming_it_and_the_visible_range()
    {
        var error = Assert.Throws<ModelLoadException>(() => CudaDevices.Resolve([0, 3], visible: 2));
        Assert.Equal(ModelSetting.CudaDevices, error.Setting);
        Assert.StartsWith("Device 3 is not visible here; CUDA shows 2 device(s), numbered 0 to 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 1, 1 })]
    [InlineData(new[] { -1 })]
    public void Cuda_devices_that_are_empty_repeated_or_negative_are_refused(int[] devices)
    {
        var error = Assert.Throws<ModelLoadException>(() => CudaDevices.Resolve(devices, visible: 4));
        Assert.Equal(ModelSetting.CudaDevices, error.Setting);
        Assert.StartsWith("The CUDA devices must be distinct device numbers from 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_cuda_runtime_the_visible_count_is_unknown_rather_than_an_error()
    {
        Assert.Equal(0, CudaDevices.CountVisible());
    }

    [Fact]
    public void The_probe_checks_what_the_cuda_provider_links_and_not_what_it_opens_when_a_kernel_needs_it()
    {
        Assert.Equal(["libcuda.so.1", "libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10"],
            CudaLibraryProbe.Required.Select(r => r.Library));
    }

    [Fact]
    public void Auto_falls_back_with_a_warning_when_cuda_is_there_but_fails()
    {
        var logger = new RecordingLogger();
        DeviceSelection.Choose(ExecutionDevice.Auto, () => throw new CudaUnavailableException("the first run on CUDA device 0 failed") { Failed = true }, () => "cpu", OnDevices, logger);
        Assert.Equal("Warning: Running on the CPU: CUDA is not available (the first run on CUDA device 0 failed)", Assert.Single(logger.LevelLines));
    }

    [Fact]
    public void The_defaults_follow_the_device_and_what_the_user_sets_wins()
    {
        var defaults = new SentenceEmbeddingOptions();
        Assert.Equal((ModelPrecision.Fp16, 256, 131_072), (defaults.PrecisionOn(ExecutionDevice.Cuda), defaults.MaxBatchSizeOn(ExecutionDevice.Cuda), defaults.MaxBatchTokensOn(ExecutionDevice.Cuda)));
        Assert.Equal((ModelPrecision.Fp32, 32, 16_384), (defaults.PrecisionOn(ExecutionDevice.Cpu), defaults.MaxBatchSizeOn(ExecutionDevice.Cpu), defaults.MaxBatchTokensOn(ExecutionDevice.Cpu)));
        var set = new SentenceEmbeddingOptions { Precision = ModelPrecision.Fp32, MaxBatchSize = 64 };
        Assert.Equal((ModelPrecision.Fp32, 64), (set.PrecisionOn(ExecutionDevice.Cuda), set.MaxBatchSizeOn(ExecutionDevice.Cuda)));
    }

    [Fact]
    public void On_the_cpu_the_default_precision_is_fp32_and_the_default_batches_32_texts_of_one_token_count_said_in_the_log()
    {
        var logger = new RecordingLogger();
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { Device = ExecutionDevice.Auto }, logger);

        Assert.Equal((ExecutionDevice.Cpu, ModelPrecision.Fp32, 32), (generator.Device, generator.Precision, generator.MaxBatchSize));
        Assert.Equal("fp32", generator.Settings["precision"]);
        Assert.Contains("Precision fp32 (the default on the CPU), batches of up to 32 texts (the default on the CPU; BATCH_SIZE sets it) and 16384 token cells, each of one token count (attention without a padding mask)", logger.Lines);
    }

    [Fact]
    public void Padded_batches_on_the_cpu_are_said_in_the_log()
    {
        var logger = new RecordingLogger();
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { Device = ExecutionDevice.Cpu, EqualLengthBatches = false }, logger);

        Assert.Contains(logger.Lines, line => line.EndsWith("16384 token cells, padded to their longest text", StringComparison.Ordinal));
    }

    [Fact]
    public void Int8_with_device_auto_runs_on_the_cpu_saying_so_and_with_device_cuda_is_refused()
    {
        var logger = new RecordingLogger();
        Assert.Equal(ExecutionDevice.Cpu, SentenceEmbeddingGenerator.DeviceFor(new SentenceEmbeddingOptions { Precision = ModelPrecision.Int8, Device = ExecutionDevice.Auto }, logger));
        Assert.Equal("Precision int8 runs on the CPU (ONNX Runtime has no CUDA kernel for it): device auto chooses the CPU", Assert.Single(logger.Lines));

        var error = Assert.Throws<ModelLoadException>(() => SentenceEmbeddingGenerator.DeviceFor(new SentenceEmbeddingOptions { Precision = ModelPrecision.Int8, Device = ExecutionDevice.Cuda }, logger));
        Assert.Equal(ModelSetting.Precision, error.Setting);
        Assert.StartsWith("int8 runs on the CPU only", error.Message, StringComparison.Ordinal);
        Assert.Equal(ExecutionDevice.Cuda, SentenceEmbeddingGenerator.DeviceFor(new SentenceEmbeddingOptions { Device = ExecutionDevice.Cuda }, logger));
    }

    [Fact]
    public void A_warm_up_out_of_memory_twice_halves_the_batch_twice_then_runs_and_says_what_fitted()
    {
        var logger = new RecordingLogger();
        var tried = new List<int>();

        var fitted = SessionWarmUp.RunFitting((rows, _) =>
        {
            tried.Add(rows);
            if (tried.Count <= 2)
            {
                throw OutOfMemorySplittingEncoderTests.OrtError("CUDA failure 2: out of memory ; GPU=0 ; expr=cudaMalloc");
            }
        }, (512, 256), "CUDA device 0", logger);

        Assert.Equal([512, 256, 128], tried);
        Assert.Equal((128, 256), fitted);
        Assert.Equal("Warning: CUDA device 0 holds runs of 128 texts of 256 tokens, not 512: each run is capped at 32768 token cells " +
            "(cuda_memory_limit, max_batch_tokens or a smaller BATCH_SIZE set this)", logger.LevelLines[^1]);
    }

    [Fact]
    public void A_warm_up_that_fails_otherwise_or_at_one_text_is_not_retried()
    {
        var runs = 0;
        Assert.Throws<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() => SessionWarmUp.RunFitting((_, _) =>
        {
            runs++;
            throw OutOfMemorySplittingEncoderTests.OrtError("no kernel image is available for execution on the device");
        }, (512, 256), "CUDA device 0", new RecordingLogger()));
        Assert.Equal(1, runs);
        Assert.Throws<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() => SessionWarmUp.RunFitting((_, _) =>
            throw OutOfMemorySplittingEncoderTests.OrtError("out of memory"), (1, 256), "CUDA device 0", new RecordingLogger()));
    }
}
