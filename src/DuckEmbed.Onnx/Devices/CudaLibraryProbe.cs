using System.Runtime.InteropServices;

namespace DuckEmbed.Onnx.Devices;

/// <summary>
/// Finds which of the libraries ONNX Runtime's CUDA provider needs cannot be loaded, so that the error names the
/// missing piece instead of ONNX Runtime's generic "failed to load shared library".
/// </summary>
internal static class CudaLibraryProbe
{
    // What libonnxruntime_providers_cuda.so of Microsoft.ML.OnnxRuntime.Gpu.Linux 1.32 (CUDA 13; 1.31 the same) links against (its
    // DT_NEEDED entries), the driver first. cuDNN, cuFFT and NVRTC it opens only when a kernel needs them: a missing
    // cuDNN shows up in the warm-up run, not here.
    internal static readonly (string Library, string What)[] Required =
    [
        ("libcuda.so.1", "the NVIDIA driver (install it on the host; in Docker run with --gpus all and the NVIDIA container toolkit)"),
        ("libcudart.so.13", "the CUDA 13 runtime"),
        ("libcublasLt.so.13", "cuBLAS for CUDA 13"),
        ("libcublas.so.13", "cuBLAS for CUDA 13"),
        ("libcurand.so.10", "cuRAND for CUDA 13"),
    ];

    /// <summary>A sentence naming the first library that does not load, or <c>null</c> when all do.</summary>
    public static string? FindMissing(Func<string, bool> canLoad)
    {
        foreach (var (library, what) in Required)
        {
            if (!canLoad(library))
            {
                return $"{what} is missing: {library} could not be loaded";
            }
        }
        return null;
    }

    public static bool CanLoad(string library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle))
        {
            return false;
        }
        NativeLibrary.Free(handle);
        return true;
    }
}
