using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx;

/// <summary>Builds the ONNX Runtime session on the chosen <see cref="ExecutionDevice"/>.</summary>
internal static class InferenceSessionFactory
{
    private const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>
    /// The sessions, one per CUDA device used (each with its device number) or one on the CPU, and the device they
    /// run on (what <see cref="ExecutionDevice.Auto"/> became).
    /// </summary>
    public static (IReadOnlyList<DeviceSession> Sessions, ExecutionDevice Device) Create(
        byte[] model, string location, SentenceEmbeddingOptions options, ILogger logger)
    {
        try
        {
            return DeviceSelection.Choose<(IReadOnlyList<DeviceSession> Sessions, ExecutionDevice Device)>(options.Device,
                () => (CreateCuda(model, options.CudaDevices), ExecutionDevice.Cuda),
                () => (CreateCpu(model, options), ExecutionDevice.Cpu),
                onCuda => (onCuda.Sessions.Count == 1 ? "CUDA device " : "CUDA devices ") + string.Join(", ", onCuda.Sessions.Select(s => s.DeviceId)),
                logger);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException(ModelSetting.ModelPath,
                $"{location}: ONNX Runtime cannot load it ({FirstLine(e.Message)}). The model must be a sentence-transformer exported to ONNX (model.onnx), with its vocab.txt.", e);
        }
    }

    private static List<DeviceSession> CreateCpu(byte[] model, SentenceEmbeddingOptions options) =>
        CreateEach(Enumerable.Repeat(0, options.CpuSessions), _ =>
        {
            using var sessionOptions = BaseOptions();
            sessionOptions.IntraOpNumThreads = options.IntraOpThreads ?? Environment.ProcessorCount;
            return new InferenceSession(model, sessionOptions);
        });

    private static List<DeviceSession> CreateCuda(byte[] model, IReadOnlyList<int>? requested)
    {
        if (!OrtEnv.Instance().GetAvailableProviders().Contains(CudaProvider))
        {
            throw new CudaUnavailableException(
                "this build has the CPU ONNX Runtime (Microsoft.ML.OnnxRuntime), not the CUDA one (Microsoft.ML.OnnxRuntime.Gpu.Linux)");
        }
        if (CudaLibraryProbe.FindMissing(CudaLibraryProbe.CanLoad) is { } missing)
        {
            throw new CudaUnavailableException(missing);
        }
        var deviceIds = CudaDevices.Resolve(requested, CudaDevices.CountVisible());
        return CreateEach(deviceIds, deviceId => CreateCudaSession(model, deviceId, isFirst: deviceId == deviceIds[0]));
    }

    /// <summary>One session per device; if one cannot be made, the ones made before it are disposed.</summary>
    private static List<DeviceSession> CreateEach(IEnumerable<int> deviceIds, Func<int, InferenceSession> create)
    {
        var sessions = new List<DeviceSession>();
        try
        {
            foreach (var deviceId in deviceIds)
            {
                sessions.Add(new DeviceSession(create(deviceId), deviceId));
            }
            return sessions;
        }
        catch
        {
            sessions.ForEach(s => s.Session.Dispose());
            throw;
        }
    }

    /// <summary>
    /// A session on one device. The first device failing means CUDA is not usable here (auto falls back to the
    /// CPU); a later one failing after the first worked is that device's own fault, and an error.
    /// </summary>
    private static InferenceSession CreateCudaSession(byte[] model, int deviceId, bool isFirst)
    {
        using var sessionOptions = CudaOptions();
        try
        {
            sessionOptions.AppendExecutionProvider_CUDA(deviceId);
            return new InferenceSession(model, sessionOptions);
        }
        catch (Exception e) when (isFirst && e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            throw new CudaUnavailableException(
                $"{FirstLine(e.Message)} — CUDA needs an NVIDIA driver for CUDA 13, the CUDA 13 runtime and cuDNN 9 libraries on the library path (the Docker image has them; run it with --gpus all)", e);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException(ModelSetting.CudaDevices,
                $"CUDA device {deviceId} cannot run the model ({FirstLine(e.Message)}). Leave it out of the devices (or of CUDA_VISIBLE_DEVICES) to run on the others.", e);
        }
    }

    /// <summary>
    /// A CUDA session's options before its provider is added. One CPU thread inside an operator (ONNX Runtime's
    /// maintainers' advice for CUDA): the GPU does the work, and a full spinning thread pool per GPU would take the
    /// cores that tokenize, pool and write.
    /// </summary>
    internal static SessionOptions CudaOptions()
    {
        var options = BaseOptions();
        options.IntraOpNumThreads = 1;
        return options;
    }

    private static SessionOptions BaseOptions() => new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        InterOpNumThreads = 1,
    };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
