using System.Runtime.InteropServices;

namespace DuckEmbed.Onnx.Devices;

/// <summary>Which CUDA devices a generator runs on: the ones asked for, or every device CUDA shows this process.</summary>
internal static class CudaDevices
{
    /// <summary>
    /// The device ids to open, first one first. <paramref name="requested"/> <c>null</c> means all
    /// <paramref name="visible"/> devices; <paramref name="visible"/> 0 means the count is unknown, and then the
    /// request is taken as it is (or device 0), leaving ONNX Runtime to refuse a device that is not there.
    /// </summary>
    public static IReadOnlyList<int> Resolve(IReadOnlyList<int>? requested, int visible)
    {
        if (requested is null)
        {
            return visible > 0 ? [.. Enumerable.Range(0, visible)] : [0];
        }
        if (requested.Count == 0 || requested.Any(id => id < 0) || requested.Distinct().Count() != requested.Count)
        {
            throw new ModelLoadException(ModelSetting.CudaDevices, $"The CUDA devices must be distinct device numbers from 0, not [{string.Join(", ", requested)}].");
        }
        if (visible > 0 && requested.FirstOrDefault(id => id >= visible, -1) is var missing and >= 0)
        {
            throw new ModelLoadException(ModelSetting.CudaDevices,
                $"Device {missing} is not visible here; CUDA shows {visible} device(s), numbered 0 to {visible - 1} " +
                "(CUDA_VISIBLE_DEVICES and docker --gpus renumber them from 0). Remove it from the list, or leave the list out to use every visible device.");
        }
        return requested;
    }

    /// <summary>How many CUDA devices this process sees, or 0 when the CUDA runtime cannot tell.</summary>
    public static int CountVisible()
    {
        try
        {
            return GetDeviceCount(out var count) == 0 ? count : 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    // The CUDA 13 runtime that ONNX Runtime's CUDA provider itself loads (CudaLibraryProbe checks it is there).
    [DllImport("libcudart.so.13", EntryPoint = "cudaGetDeviceCount")]
    private static extern int GetDeviceCount(out int count);
}
