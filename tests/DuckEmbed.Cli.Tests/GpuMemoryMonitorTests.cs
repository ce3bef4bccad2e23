using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>
/// The GPU memory of a benchmark run as nvidia-smi tells it. No GPU here: a stand-in nvidia-smi answers as the real one
/// does (<c>--query-gpu=memory.used --format=csv,noheader,nounits</c>: MiB, a line per GPU).
/// </summary>
public sealed class GpuMemoryMonitorTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void The_peak_of_the_memory_used_on_all_gpus_is_counted_above_what_they_held_at_the_start()
    {
        // Two GPUs: 1,500 MiB used before the model loads, 3,400 at the run's peak, 2,400 after.
        var nvidiaSmi = FakeNvidiaSmi("""
            case $n in
              0) printf '1000\n500\n' ;;
              1) printf '2500\n900\n' ;;
              *) printf '1800\n600\n' ;;
            esac
            """);

        using var monitor = GpuMemoryMonitor.Start(nvidiaSmi);
        Assert.NotNull(monitor);
        Thread.Sleep(600);

        Assert.Equal(1900, monitor.Stop());
        Assert.Equal("--query-gpu=memory.used --format=csv,noheader,nounits", File.ReadAllLines(_folder.File("arguments")).Distinct().Single());
    }

    [Fact]
    public void Without_an_nvidia_driver_there_is_no_gpu_memory_to_tell()
    {
        // What nvidia-smi does on a machine whose driver is not loaded.
        var noDriver = FakeNvidiaSmi("""
            echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." ; exit 9
            """);

        Assert.Null(GpuMemoryMonitor.Start(noDriver));
        Assert.Null(GpuMemoryMonitor.Start(_folder.File("no-such-nvidia-smi")));
        Assert.Null(GpuMemoryMonitor.Start(FakeNvidiaSmi("echo '[N/A]'")));
    }

    private string FakeNvidiaSmi(string body)
    {
        var path = _folder.File($"nvidia-smi-{Guid.NewGuid():N}");
        File.WriteAllText(path, $$"""
            #!/bin/bash
            echo "$*" >> '{{_folder.File("arguments")}}'
            n=$(cat '{{_folder.File("calls")}}' 2>/dev/null || echo 0)
            echo $((n + 1)) > '{{_folder.File("calls")}}'
            {{body}}
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
