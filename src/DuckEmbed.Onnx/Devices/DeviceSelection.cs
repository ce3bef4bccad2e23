using Microsoft.Extensions.Logging;

namespace DuckEmbed.Onnx.Devices;

/// <summary>
/// Chooses between CUDA and the CPU: <see cref="ExecutionDevice.Auto"/> tries CUDA and falls back with one log line
/// saying why; <see cref="ExecutionDevice.Cuda"/> turns the reason into an error.
/// </summary>
internal static class DeviceSelection
{
    /// <param name="device">The setting.</param>
    /// <param name="createCuda">Builds on CUDA; throws <see cref="CudaUnavailableException"/> when CUDA cannot be used.</param>
    /// <param name="createCpu">Builds on the CPU.</param>
    /// <param name="describeCuda">What the CUDA result runs on, for the log line ("CUDA device 0").</param>
    /// <param name="logger">Gets the one line saying which device and why.</param>
    public static T Choose<T>(ExecutionDevice device, Func<T> createCuda, Func<T> createCpu, Func<T, string> describeCuda, ILogger logger)
    {
        if (device == ExecutionDevice.Cpu)
        {
            logger.RunningOnCpuAsAsked();
            return createCpu();
        }
        try
        {
            var onCuda = createCuda();
            logger.RunningOnCuda(describeCuda(onCuda), device.ToString().ToLowerInvariant());
            return onCuda;
        }
        catch (CudaUnavailableException e) when (device == ExecutionDevice.Auto)
        {
            logger.RunningOnCpuWithoutCuda(e.Failed ? LogLevel.Warning : LogLevel.Information, e.Message);
            return createCpu();
        }
        catch (CudaUnavailableException e)
        {
            throw new ModelLoadException(ModelSetting.Device, $"cuda: CUDA is not available: {e.Message}. Choose auto or cpu to run on the CPU.", e);
        }
    }
}
