using System.Globalization;
using ScottPlot;

namespace DuckEmbed.Cli;

/// <summary>
/// <c>embed benchmark</c>'s table as a picture: rows/s (left axis) and peak memory, and GPU memory where CUDA ran
/// (right axis), against the batch size, the recommended size marked, so that "which batch size" is answered at a glance.
/// </summary>
internal static class BenchmarkPlot
{
    public const int Width = 900;
    public const int Height = 540;

    /// <summary>The colour of the rows/s curve (ScottPlot's first), which a test looks for in the picture.</summary>
    public static readonly Color RowsColor = Colors.C0;

    /// <summary>The colour of the GPU memory curve, drawn where CUDA ran.</summary>
    public static readonly Color GpuMemoryColor = Colors.C3;

    public static void Save(string path, IReadOnlyList<BenchmarkResult> results, int recommended, string device)
    {
        var plot = new Plot();
        double[] sizes = [.. results.Select(r => (double)r.BatchSize)];
        // Batch sizes double from one to the next: a log scale spaces them evenly.
        double[] xs = [.. sizes.Select(Math.Log2)];
        var rows = plot.Add.Scatter(xs, [.. results.Select(r => r.RowsPerSecond)], RowsColor);
        rows.LegendText = "rows/s";
        rows.LineWidth = 3;
        rows.MarkerSize = 9;
        var memory = plot.Add.Scatter(xs, [.. results.Select(r => r.PeakMegabytes)], Colors.C1);
        memory.LegendText = "peak memory (MB)";
        memory.Axes.YAxis = plot.Axes.Right;
        memory.LinePattern = LinePattern.Dashed;
        var gpuMegabytes = results.Select(r => r.GpuMegabytes).ToList();
        if (gpuMegabytes.All(m => m is not null))
        {
            var gpu = plot.Add.Scatter(xs, [.. gpuMegabytes.Select(m => (double)m!.Value)], GpuMemoryColor);
            gpu.LegendText = "GPU memory (MB)";
            gpu.Axes.YAxis = plot.Axes.Right;
            gpu.LineWidth = 2;
            gpu.MarkerSize = 8;
            gpu.LinePattern = LinePattern.Dotted;
        }
        var chosen = plot.Add.VerticalLine(Math.Log2(recommended), 2, Colors.C2);
        chosen.LegendText = string.Create(CultureInfo.InvariantCulture, $"recommended: BATCH_SIZE={recommended}");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, [.. sizes.Select(s => s.ToString(CultureInfo.InvariantCulture))]);
        plot.Axes.Bottom.Label.Text = "BATCH_SIZE";
        plot.Axes.Left.Label.Text = "rows/s";
        plot.Axes.Right.Label.Text = "memory (MB)";
        plot.Axes.Title.Label.Text = $"embed benchmark (device: {device})";
        plot.Axes.SetLimitsX(xs.Min() - 0.3, xs.Max() + 0.3);
        // From zero: how much a batch size gains is read against the whole rate, not a zoomed-in slice of it.
        plot.Axes.SetLimitsY(0, results.Max(r => r.RowsPerSecond) * 1.15, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, results.Max(r => Math.Max(r.PeakMegabytes, r.GpuMegabytes ?? 0)) * 1.15, plot.Axes.Right);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
    }
}
