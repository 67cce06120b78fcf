<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context><name>MainWindow</name>
<message><source>研发惠企测算</source><translation>R&amp;D Benefit Desk</translation></message>
<message><source> 年度 </source><translation> Year </translation></message>
<message><source> 期间 </source><translation> Period </translation></message>
<message><source>Excel 工作簿 (*.xlsx *.xls)</source><translation>Excel workbooks (*.xlsx *.xls)</translation></message>
<message><source>Excel 工作簿 (*.xlsx)</source><translation>Excel workbook (*.xlsx)</translation></message>
<message><source>不保存</source><translation>Don't save</translation></message>
<message><source>不可加计扣除</source><translation>not eligible</translation></message>
<message><source>不恢复</source><translation>Don't recover</translation></message>
<message><source>从工作簿导入</source><translation>Import from workbook</translation></message>
<message><source>从工作簿导入…</source><translation>Import from workbook…</translation></message>
<message><source>位置</source><translation>Location</translation></message>
<message><source>保存</source><translation>Save</translation></message>
<message><source>保存修改</source><translation>Save changes</translation></message>
<message><source>全部</source><translation>All</translation></message>
<message><source>关于</source><translation>About</translation></message>
<message><source>删除所选行</source><translation>Delete selected rows</translation></message>
<message><source>取消</source><translation>Cancel</translation></message>
<message><source>另存为</source><translation>Save as</translation></message>
<message><source>另存为…</source><translation>Save as…</translation></message>
<message><source>只读打开</source><translation>Open read-only</translation></message>
<message><source>否</source><translation>No</translation></message>
<message><source>导入ERP凭证…</source><translation>Import ERP vouchers…</translation></message>
<message><source>导出为工作簿</source><translation>Export as workbook</translation></message>
<message><source>导出为工作簿…</source><translation>Export as workbook…</translation></message>
<message><source>导出申报报表到文件夹</source><translation>Export the filing forms to a folder</translation></message>
<message><source>导出申报报表（A107012、辅助账、汇总表）…</source><translation>Export filing forms (A107012, ledgers, summary)…</translation></message>
<message><source>工具(&amp;T)</source><translation>&amp;Tools</translation></message>
<message><source>已导出：</source><translation>Exported: </translation></message>
<message><source>帮助(&amp;H)</source><translation>&amp;Help</translation></message>
<message><source>必填 </source><translation>required </translation></message>
<message><source>快速测算…</source><translation>Quick estimate…</translation></message>
<message><source>恢复</source><translation>Recover</translation></message>
<message><source>恢复未保存的修改</source><translation>Recover unsaved changes</translation></message>
<message><source>打开</source><translation>Open</translation></message>
<message><source>打开…</source><translation>Open…</translation></message>
<message><source>报告</source><translation>Statement</translation></message>
<message><source>提示</source><translation>Info</translation></message>
<message><source>搜索</source><translation>Search</translation></message>
<message><source>摘要、凭证号…</source><translation>Summary, voucher no…</translation></message>
<message><source>撤销</source><translation>Undo</translation></message>
<message><source>文件(&amp;F)</source><translation>&amp;File</translation></message>
<message><source>文件正在使用</source><translation>File in use</translation></message>
<message><source>新增行</source><translation>Add row</translation></message>
<message><source>新建工作区</source><translation>New workspace</translation></message>
<message><source>新建工作区…</source><translation>New workspace…</translation></message>
<message><source>是</source><translation>Yes</translation></message>
<message><source>是否恢复？</source><translation>Recover it?</translation></message>
<message><source>最近打开</source><translation>Recent files</translation></message>
<message><source>月份</source><translation>Month</translation></message>
<message><source>月份 如 2024-03</source><translation>Month e.g. 2024-03</translation></message>
<message><source>未打开工作区</source><translation>No workspace open</translation></message>
<message><source>检查结果</source><translation>Findings</translation></message>
<message><source>正在计算…</source><translation>Computing…</translation></message>
<message><source>测算期间</source><translation>Period</translation></message>
<message><source>测算结果</source><translation>Results</translation></message>
<message><source>生成报告…</source><translation>Statement…</translation></message>
<message><source>研发费用加计扣除、高新技术企业与研发后补助测算（离线）</source><translation>R&amp;D super-deduction, high-tech enterprise and post-subsidy estimates (offline)</translation></message>
<message><source>级别</source><translation>Level</translation></message>
<message><source>编辑(&amp;E)</source><translation>&amp;Edit</translation></message>
<message><source>计算完成</source><translation>Computed</translation></message>
<message><source>说明</source><translation>Message</translation></message>
<message><source>费用代码</source><translation>Code</translation></message>
<message><source>退出</source><translation>Quit</translation></message>
<message><source>重做</source><translation>Redo</translation></message>
<message><source>重新计算</source><translation>Recompute</translation></message>
<message><source>项目</source><translation>Project</translation></message>
<message><source>（只读）</source><translation> (read-only)</translation></message>
<message><source>视图(&amp;V)</source><translation>&amp;View</translation></message>
<message><source>语言 / Language</source><translation>Language / 语言</translation></message>
<message><source>界面语言将在重新启动后生效</source><translation>The interface language applies after a restart</translation></message>
<message><source>年度汇算</source><translation>Annual</translation></message>
<message><source>上半年（7月预缴）</source><translation>H1 (July prepayment)</translation></message>
<message><source>前三季度（10月预缴）</source><translation>Q1–Q3 (October prepayment)</translation></message>
<message><source>错误</source><translation>Error</translation></message>
<message><source>警告</source><translation>Warning</translation></message>
<message><source>企业信息</source><translation>Enterprise</translation></message>
<message><source>年度数据</source><translation>Yearly data</translation></message>
<message><source>研发项目</source><translation>Projects</translation></message>
<message><source>研发支出</source><translation>Ledger</translation></message>
<message><source>调整事项</source><translation>Adjustments</translation></message>
<message><source>补助测算信息</source><translation>Subsidy facts</translation></message>
</context>
<context><name>schema</name>
<message><source>年度</source><translation>Year</translation></message>
<message><source>季度</source><translation>Period</translation></message>
<message><source>主营业务收入</source><translation>Main revenue</translation></message>
<message><source>其他业务收入</source><translation>Other revenue</translation></message>
<message><source>收入总额</source><translation>Total income</translation></message>
<message><source>不征税收入</source><translation>Non-taxable income</translation></message>
<message><source>投资收益</source><translation>Investment income</translation></message>
<message><source>高新技术产品（服务）收入</source><translation>High-tech income</translation></message>
<message><source>负面清单行业收入</source><translation>Negative-list revenue</translation></message>
<message><source>制造业业务收入</source><translation>Manufacturing revenue</translation></message>
<message><source>职工总数</source><translation>Staff</translation></message>
<message><source>科技人员数</source><translation>R&amp;D staff</translation></message>
<message><source>资产总额</source><translation>Assets</translation></message>
<message><source>负债总额</source><translation>Liabilities</translation></message>
<message><source>从业人数（季度平均）</source><translation>Headcount (quarterly avg.)</translation></message>
<message><source>资产总额（季度平均）</source><translation>Assets (quarterly avg.)</translation></message>
<message><source>成本费用支出总额</source><translation>Total costs</translation></message>
<message><source>应纳税所得额</source><translation>Taxable income</translation></message>
<message><source>以前年度可弥补亏损</source><translation>Prior losses</translation></message>
<message><source>研发费用（加计扣除口径）</source><translation>R&amp;D (super-deduction)</translation></message>
<message><source>研发费用（高企口径）</source><translation>R&amp;D (HNTE)</translation></message>
<message><source>境内研发费用</source><translation>Domestic R&amp;D</translation></message>
<message><source>项目编号</source><translation>Project no.</translation></message>
<message><source>项目名称</source><translation>Project name</translation></message>
<message><source>研发形式</source><translation>Form</translation></message>
<message><source>支出类型</source><translation>Expensed/capitalised</translation></message>
<message><source>开始日期</source><translation>Start</translation></message>
<message><source>结束日期</source><translation>End</translation></message>
<message><source>完成情况</source><translation>Status</translation></message>
<message><source>受托方名称</source><translation>Entrustee</translation></message>
<message><source>受托方是否关联方</source><translation>Related party</translation></message>
<message><source>受托方所在地</source><translation>Entrustee location</translation></message>
<message><source>技术合同登记号</source><translation>Contract reg. no.</translation></message>
<message><source>研发成果归属</source><translation>Ownership of results</translation></message>
<message><source>无形资产形成日期</source><translation>IA formed</translation></message>
<message><source>摊销年限</source><translation>Amortisation years</translation></message>
<message><source>无形资产计税基础</source><translation>IA tax base</translation></message>
<message><source>研发成果</source><translation>Results</translation></message>
<message><source>日期</source><translation>Date</translation></message>
<message><source>凭证种类</source><translation>Voucher type</translation></message>
<message><source>凭证号</source><translation>Voucher no.</translation></message>
<message><source>费用代码</source><translation>Code</translation></message>
<message><source>摘要</source><translation>Summary</translation></message>
<message><source>会计金额</source><translation>Amount</translation></message>
<message><source>税法金额</source><translation>Tax amount</translation></message>
<message><source>资金来源</source><translation>Funding</translation></message>
<message><source>研发工时占比</source><translation>R&amp;D share</translation></message>
<message><source>高企费用类别</source><translation>HNTE category</translation></message>
<message><source>类型</source><translation>Type</translation></message>
<message><source>金额</source><translation>Amount</translation></message>
<message><source>说明</source><translation>Note</translation></message>
<message><source>项目</source><translation>Item</translation></message>
<message><source>值</source><translation>Value</translation></message>
</context>
</TS>
