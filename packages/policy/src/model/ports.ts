// Ports as Calico writes them: the value type lives in @tortie/api.
export { formatPort, PortError, type PortSpec, parsePort } from "@tortie/api";
