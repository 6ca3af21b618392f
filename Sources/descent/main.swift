import DescentCLI

DescentCommand.runMain()
