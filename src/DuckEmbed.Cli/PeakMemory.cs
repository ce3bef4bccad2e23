using System.Diagnostics;

namespace DuckEmbed.Cli;

/// <summary>Peak resident memory of this process since the last <see cref="Reset"/>.</summary>
internal static class PeakMemory
{
    /// <summary>Resets Linux's high-water mark (VmHWM); elsewhere the peak stays the process's since start.</summary>
    public static void Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or not allowed: Read falls back to the process-wide peak.
        }
    }

    public static long Read()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var kilobytes))
            {
                return kilobytes * 1024;
            }
        }
        catch (IOException)
        {
        }
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
