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
    [InlineData("libcudnn.so.9", "cuDNN 9")]
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
}
