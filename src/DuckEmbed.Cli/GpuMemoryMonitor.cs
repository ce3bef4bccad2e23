using System.Diagnostics;
using System.Globalization;

namespace DuckEmbed.Cli;

/// <summary>
/// The GPU memory a benchmark run takes: <c>nvidia-smi</c> asked every <see cref="Every"/> for the memory used on the
/// GPUs it shows (in a container, those given to it), the peak of their sum kept, less what they held when the monitor
/// started (before the model was loaded). Other programs on the same GPUs count too: the figure is for a GPU of one's
/// own. ONNX Runtime cannot tell it (its CUDA arena has no counter in the C# API); nvidia-smi comes with the driver.
/// </summary>
internal sealed class GpuMemoryMonitor : IDisposable
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(200);

    private readonly string _nvidiaSmi;
    private readonly long _baselineMegabytes;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peakMegabytes;

    private GpuMemoryMonitor(string nvidiaSmi, long baselineMegabytes)
    {
        _nvidiaSmi = nvidiaSmi;
        _baselineMegabytes = baselineMegabytes;
        _peakMegabytes = baselineMegabytes;
        _sampling = Task.Run(SampleAsync);
    }

    /// <summary>Starts sampling; <c>null</c> where <paramref name="nvidiaSmi"/> does not run or tells no memory (no NVIDIA driver).</summary>
    public static GpuMemoryMonitor? Start(string nvidiaSmi = "nvidia-smi") =>
        UsedMegabytes(nvidiaSmi) is { } baseline ? new GpuMemoryMonitor(nvidiaSmi, baseline) : null;

    /// <summary>Stops sampling; the most memory used above the start, in MB.</summary>
    public long Stop()
    {
        EndSampling();
        // One last look: a run shorter than the interval is measured at its end at least.
        Keep(UsedMegabytes(_nvidiaSmi));
        return Interlocked.Read(ref _peakMegabytes) - _baselineMegabytes;
    }

    public void Dispose()
    {
        EndSampling();
        _stop.Dispose();
    }

    private void EndSampling()
    {
        _stop.Cancel();
        try
        {
            _sampling.Wait();
        }
        catch (AggregateException)
        {
            // Cancelled while it waited between samples.
        }
    }

    private async Task SampleAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Keep(UsedMegabytes(_nvidiaSmi));
            await Task.Delay(Every, _stop.Token).ConfigureAwait(false);
        }
    }

    private void Keep(long? megabytes)
    {
        if (megabytes is { } used && used > Interlocked.Read(ref _peakMegabytes))
        {
            Interlocked.Exchange(ref _peakMegabytes, used);
        }
    }

    // "memory.used" of every GPU shown, in MiB, one per line: their sum; null when nvidia-smi fails or says nothing.
    private static long? UsedMegabytes(string nvidiaSmi)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(nvidiaSmi, ["--query-gpu=memory.used", "--format=csv,noheader,nounits"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)) || process.ExitCode != 0)
            {
                return null;
            }
            long sum = 0;
            var any = false;
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!long.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out var megabytes))
                {
                    return null;
                }
                sum += megabytes;
                any = true;
            }
            return any ? sum : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null;
        }
    }
}
