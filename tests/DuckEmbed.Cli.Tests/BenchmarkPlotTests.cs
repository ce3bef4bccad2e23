using DuckEmbed.Processor;
using DuckEmbed.Tests;
using SkiaSharp;

namespace DuckEmbed.Cli.Tests;

/// <summary>The benchmark's picture, decoded and looked at: which curves are drawn.</summary>
public sealed class BenchmarkPlotTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Where_cuda_ran_the_gpu_memory_is_a_curve_of_its_own_and_on_the_cpu_there_is_none()
    {
        var onGpu = _folder.File("gpu.png");
        var onCpu = _folder.File("cpu.png");

        BenchmarkPlot.Save(onGpu, [Result(64, 900, 1200), Result(128, 1500, 2100), Result(256, 1600, 3900)], 128, "cuda");
        BenchmarkPlot.Save(onCpu, [Result(64, 90, null), Result(128, 95, null), Result(256, 96, null)], 64, "cpu");

        Assert.InRange(PixelsOf(onGpu, BenchmarkPlot.GpuMemoryColor), 300, 100_000);
        Assert.Equal(0, PixelsOf(onCpu, BenchmarkPlot.GpuMemoryColor));
        Assert.InRange(PixelsOf(onCpu, BenchmarkPlot.RowsColor), 1000, 100_000);
    }

    private static BenchmarkResult Result(int batchSize, double rowsPerSecond, long? gpuMegabytes) =>
        new(batchSize, new EmbeddingRunSummary
        {
            InputRows = 1000, RowsAlreadyPresent = 0, RowsWritten = 1000, NullTexts = 0, TruncatedTexts = 0, Tokens = 50_000, Dimensions = 384,
            Elapsed = TimeSpan.FromSeconds(1000 / rowsPerSecond),
        }, 700 + batchSize, gpuMegabytes);

    private static int PixelsOf(string path, ScottPlot.Color color)
    {
        using var picture = SKBitmap.Decode(path);
        return picture.Pixels.Count(p => p.Red == color.R && p.Green == color.G && p.Blue == color.B);
    }
}
