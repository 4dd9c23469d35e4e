# shellcheck shell=sh
# passthrough-uefi: passthrough with L2 booting UEFI firmware and ACPI.

settings() {
    L2FW=uefi
}

verdict() { verdict_data; }
